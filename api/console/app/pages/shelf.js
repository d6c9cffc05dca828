// 爱心超市 (the points shelf): one community's items (GET
// /admin/shelf/items: add, edit the stock and points price, on / off the
// shelf, delete after a confirmation) and the counter: a resident's pickup
// code handed over once (POST /admin/shelf/pickups) after the admin confirms
// the code, the answer showing what was handed over.

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElAlert, ElButton, ElCard, ElInput, ElTag } from 'element-plus'
import { api } from '../api.js'
import { myCommunities } from '../communities.js'
import { communitySelect, currentCommunity } from '../participation.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { fmtTime } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

export const ShelfPage = defineComponent({
  name: 'ShelfPage',
  setup() {
    const list = ref(null)
    const communities = ref(null)
    const code = ref('')
    const handed = ref(null)
    onMounted(async () => { communities.value = await myCommunities() })
    const cid = () => currentCommunity(communities.value)

    const item = useFormDialog({
      name: 'shelf-item',
      title: '上架物品',
      fields: [
        { prop: 'name', label: '物品', required: true, maxlength: 60 },
        { prop: 'description', label: '说明', type: 'textarea', maxlength: 500, rows: 2 },
        { prop: 'price_points', label: '兑换积分', type: 'number', required: true },
        { prop: 'stock', label: '库存', type: 'number', required: true },
        { prop: 'on_shelf', label: '上架', type: 'switch' },
      ],
      initial: () => ({ name: '', description: '', price_points: 10, stock: 1, on_shelf: true }),
      submit: (m) => {
        const body = { name: m.name, description: m.description, price_points: m.price_points, stock: m.stock, on_shelf: m.on_shelf }
        return m.id ? api.patch(`/admin/shelf/items/${m.id}`, body) : api.post('/admin/shelf/items', { ...body, community_id: Number(cid()) })
      },
      done: '已保存',
      onDone: () => list.value.reload(),
    })
    const remove = (it) => confirmAction({
      title: '删除物品', message: `删除「${it.name}」？已兑换未领取的不受影响。`, confirmText: '删除', done: '已删除',
      action: () => api.del(`/admin/shelf/items/${it.id}`),
    }).then((r) => r !== undefined && list.value.reload())

    const pickUp = () => {
      const c = code.value.trim()
      if (!c) return
      handed.value = null
      confirmAction({
        title: '核销提货码', message: `确认居民出示的提货码 ${c}，并交付物品？每个提货码只能核销一次。`, confirmText: '确认交付', danger: false, done: '已交付',
        action: () => api.post('/admin/shelf/pickups', { pickup_code: c }),
      }).then((r) => {
        if (!r) return
        handed.value = r
        code.value = ''
        list.value.reload()
      })
    }

    const counter = () => h(ElCard, { shadow: 'never', class: 'section', header: '兑换领取' }, () => [
      h('div', { class: 'pickup-input' }, [
        h(ElInput, { modelValue: code.value, 'onUpdate:modelValue': (v) => { code.value = v }, placeholder: '居民出示的提货码', maxlength: 16, clearable: true, onKeyup: (e) => e.key === 'Enter' && pickUp(), 'data-input': 'shelf-pickup-code' }),
        h(ElButton, { type: 'primary', onClick: pickUp, 'data-action': 'pickup' }, () => '核销'),
      ]),
      handed.value ? h(ElAlert, {
        type: 'success', closable: false, showIcon: true, class: 'pickup-done', 'data-redemption': handed.value.id,
        title: `已交付「${handed.value.item_name}」× ${handed.value.quantity}（${handed.value.points} 积分，居民 #${handed.value.user_id}，${fmtTime(handed.value.picked_up_at)}）`,
      }) : null,
    ])

    return () => {
      if (!communities.value) return h('div', { class: 'muted' }, '加载中…')
      const id = cid()
      return h('div', {}, [
        counter(),
        h(PagedList, {
          key: `shelf-${id}`,
          ref: list,
          fetch: (q) => api.get('/admin/shelf/items', { ...q, community_id: id }),
          columns: [
            { label: '物品', minWidth: 160, render: (it) => h('span', { 'data-item': it.id }, it.name) },
            { label: '说明', prop: 'description', minWidth: 180, ellipsis: true },
            { label: '兑换积分', width: 100, render: (it) => String(it.price_points) },
            { label: '库存', width: 80, render: (it) => h('span', { 'data-stock': it.id }, String(it.stock)) },
            { label: '状态', width: 90, render: (it) => h(ElTag, { type: it.on_shelf ? 'success' : 'info', disableTransitions: true }, () => (it.on_shelf ? '上架中' : '已下架')) },
            {
              label: '操作', width: 150, fixed: 'right',
              render: (it) => h('div', { class: 'row-actions' }, [
                h(ElButton, { size: 'small', onClick: () => item.open({ ...it }, '编辑物品'), 'data-action': 'edit' }, () => '编辑'),
                h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => remove(it), 'data-action': 'delete' }, () => '删除'),
              ]),
            },
          ],
        }, {
          toolbar: () => [
            communitySelect(communities.value, { reset: ['page'] }),
            h(ElButton, { type: 'primary', onClick: () => item.open(), 'data-action': 'create-item' }, () => '上架物品'),
          ],
        }),
        item.render(),
      ])
    }
  },
})
