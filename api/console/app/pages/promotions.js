// The shop's promotions (周边商家优惠): time-boxed offers shown to residents
// of the communities it serves.

import { defineComponent, h, ref } from 'vue'
import { ElButton, ElTag } from 'element-plus'
import { api } from '../api.js'
import { shopId } from '../shop.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { fmtWindow, toIso } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

function phase(p) {
  const now = Date.now()
  if (new Date(p.starts_at) > now) return h(ElTag, { type: 'info' }, () => '未开始')
  if (new Date(p.ends_at) <= now) return h(ElTag, { type: 'info' }, () => '已结束')
  return h(ElTag, { type: 'success' }, () => '进行中')
}

export const PromotionsPage = defineComponent({
  name: 'PromotionsPage',
  setup() {
    const list = ref(null)
    const create = useFormDialog({
      name: 'promotion',
      title: '新建优惠活动',
      fields: [
        { prop: 'title', label: '标题', required: true, maxlength: 60, placeholder: '如 满30减5' },
        { prop: 'description', label: '说明', type: 'textarea', maxlength: 500 },
        { prop: 'starts_at', label: '开始时间', type: 'datetime', required: true },
        { prop: 'ends_at', label: '结束时间', type: 'datetime', required: true },
      ],
      initial: () => ({ title: '', description: '', starts_at: new Date(), ends_at: null }),
      submit: (m) => api.post(`/merchants/${shopId()}/promotions`, {
        title: m.title, description: m.description, starts_at: toIso(m.starts_at), ends_at: toIso(m.ends_at),
      }),
      done: '已创建',
      onDone: () => list.value.reload(),
    })
    const remove = (p) => confirmAction({
      title: '删除优惠', message: `删除「${p.title}」？居民将看不到这项优惠。`, confirmText: '删除', done: '已删除',
      action: () => api.del(`/promotions/${p.id}`),
    }).then((r) => r !== undefined && list.value.reload())
    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        fetch: (q) => api.get(`/merchants/${shopId()}/promotions`, q),
        columns: [
          { label: '标题', prop: 'title', minWidth: 160 },
          { label: '说明', prop: 'description', minWidth: 200, ellipsis: true },
          { label: '时间', minWidth: 220, render: (p) => fmtWindow(p.starts_at, p.ends_at) },
          { label: '状态', width: 90, render: phase },
          { label: '操作', width: 100, fixed: 'right', render: (p) => h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => remove(p), 'data-action': 'delete' }, () => '删除') },
        ],
      }, { toolbar: () => h(ElButton, { type: 'primary', onClick: () => create.open(), 'data-action': 'create-promotion' }, () => '新建优惠活动') }),
      create.render(),
    ])
  },
})
