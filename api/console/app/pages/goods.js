// The shop's goods: every status, create and edit (field errors from the
// API next to the fields), shelf on / off, stock, delete.

import { defineComponent, h, onMounted, reactive, ref } from 'vue'
import { ElButton, ElImage } from 'element-plus'
import { ApiError, api } from '../api.js'
import { shopId } from '../shop.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { LABELS, fmtMoney, fmtTime, statusTag } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'
import { showError, toast } from '../ui/notify.js'

export const UNITS = ['斤', '公斤', '克', '个', '只', '份', '盒', '袋', '瓶', '罐', '桶', '箱', '包', '提', '把',
  '束', '枝', '盆', '株', '件', '套', '双', '条', '块', '张', '支', '次', '小时']

const STATUS_OPTIONS = [
  { value: 'on_shelf', label: '在售' },
  { value: 'off_shelf', label: '已下架' },
  { value: 'deleted', label: '已删除' },
]

// Pictures uploaded here (POST /uploads, purpose goods_image): ids the goods
// claim when saved, shown by their thumbnails; links typed below still work.
function uploader(m, busy) {
  const pick = async (e) => {
    const files = [...(e.target.files || [])]
    e.target.value = ''
    for (const file of files) {
      busy.count += 1
      try {
        const u = await api.upload(file, 'goods_image')
        m.uploads = [...m.uploads, { id: u.id, thumb: u.thumb_url }]
      } catch (err) {
        showError(err)
      } finally {
        busy.count -= 1
      }
    }
  }
  return h('div', { class: 'uploads' }, [
    ...m.uploads.map((u, i) => h('div', { key: u.id, class: 'upload-thumb', 'data-upload': u.id }, [
      h(ElImage, { src: u.thumb, fit: 'cover', class: 'thumb' }),
      h(ElButton, { size: 'small', link: true, type: 'danger', onClick: () => { m.uploads = m.uploads.filter((_, j) => j !== i) } }, () => '移除'),
    ])),
    h('label', { class: 'el-button upload-button' }, [
      h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp', multiple: true, class: 'file-input', onChange: pick, 'data-input': 'goods-image' }),
      busy.count ? `上传中（${busy.count}）…` : '上传图片',
    ]),
  ])
}

const lines = (text) => String(text || '').split('\n').map((s) => s.trim()).filter(Boolean)

export const GoodsPage = defineComponent({
  name: 'GoodsPage',
  setup() {
    const list = ref(null)
    const tree = ref([])
    const categoryNames = ref({})
    onMounted(async () => {
      const cats = await api.get('/goods-categories')
      tree.value = cats.map((c) => ({ value: c.id, label: c.name, disabled: !c.children.length, children: c.children.map((s) => ({ value: s.id, label: s.name })) }))
      const names = {}
      for (const c of cats) for (const s of c.children) names[s.id] = `${c.name} / ${s.name}`
      categoryNames.value = names
    })

    const busy = reactive({ count: 0 })
    const fields = [
      { prop: 'category_id', label: '分类', type: 'cascader', required: true, options: () => tree.value },
      { prop: 'name', label: '商品名称', required: true, maxlength: 60 },
      { prop: 'price', label: '价格', type: 'money', required: true, placeholder: '如 12.50' },
      { prop: 'unit', label: '单位', type: 'select', required: true, options: UNITS.map((u) => ({ value: u, label: u })) },
      { prop: 'stock', label: '库存', type: 'number', required: true },
      { prop: 'description', label: '描述', type: 'textarea', maxlength: 2000 },
      { prop: 'uploads', label: '商品图片', type: 'custom', render: (m) => uploader(m, busy), hint: 'JPEG、PNG 或 WebP，单张不超过 5 MB；与下方链接合计最多 9 张' },
      { prop: 'images', label: '图片链接', type: 'textarea', rows: 2, placeholder: '也可每行填一个 https 图片链接' },
      { prop: 'on_shelf', label: '立即上架', type: 'switch', visible: (m) => !m.id },
    ]

    const editor = useFormDialog({
      name: 'goods',
      title: '新增商品',
      drawer: true,
      fields,
      initial: () => ({ category_id: null, name: '', price: '', unit: '斤', stock: 0, description: '', images: '', uploads: [], on_shelf: true }),
      submit: (m) => {
        if (busy.count) return Promise.reject(new ApiError(0, 'UPLOADING', '图片还在上传，请稍候'))
        const images = [...m.uploads.map((u) => u.id), ...lines(m.images)]
        const body = { category_id: m.category_id, name: m.name, price: m.price, unit: m.unit, stock: m.stock, description: m.description, images }
        if (m.id) return api.patch(`/goods/${m.id}`, body)
        return api.post(`/merchants/${shopId()}/goods`, { ...body, on_shelf: m.on_shelf })
      },
      done: (g) => `已保存「${g.name}」`,
      onDone: () => list.value.reload(),
    })

    const stock = useFormDialog({
      name: 'stock',
      title: '修改库存',
      fields: [{ prop: 'stock', label: '库存', type: 'number', required: true }],
      submit: (m) => api.patch(`/goods/${m.id}`, { stock: m.stock }),
      done: '库存已更新',
      onDone: () => list.value.reload(),
    })

    const shelf = (g, on) => (on
      ? api.post(`/goods/${g.id}/shelf`, { on_shelf: true }).then(() => { toast('已上架'); list.value.reload() }).catch(showError)
      : confirmAction({
        title: '下架商品', message: `下架「${g.name}」？居民将看不到这件商品。`, confirmText: '下架', done: '已下架',
        action: () => api.post(`/goods/${g.id}/shelf`, { on_shelf: false }),
      }).then((r) => r && list.value.reload()))

    const remove = (g) => confirmAction({
      title: '删除商品', message: `删除「${g.name}」？删除后不能恢复。`, confirmText: '删除', done: '已删除',
      action: () => api.del(`/goods/${g.id}`),
    }).then((r) => r !== undefined && list.value.reload())

    // A saved goods' pictures: uploads (ids) back as thumbnails, links as text.
    const refs = (g) => ({
      uploads: g.image_refs.map((r, i) => (typeof r === 'number' ? { id: r, thumb: g.images[i] } : null)).filter(Boolean),
      images: g.image_refs.filter((r) => typeof r === 'string').join('\n'),
    })

    const state = (g) => (g.deleted_at ? 'deleted' : g.on_shelf ? 'on' : 'off')

    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        fetch: (q) => api.get(`/merchants/${shopId()}/goods`, q),
        filters: [{ key: 'status', label: '状态', type: 'select', options: STATUS_OPTIONS, placeholder: '全部（不含已删除）' }],
        columns: [
          { label: '图片', width: 80, render: (g) => (g.images[0] ? h(ElImage, { src: g.images[0], fit: 'cover', class: 'thumb', lazy: true }) : h('span', { class: 'muted' }, '无')) },
          { label: '商品', minWidth: 160, render: (g) => h('div', { 'data-goods': g.id }, g.name) },
          { label: '分类', minWidth: 140, render: (g) => categoryNames.value[g.category_id] || g.category_id },
          { label: '价格', width: 110, render: (g) => `${fmtMoney(g.price)}/${g.unit}` },
          { label: '库存', width: 80, prop: 'stock' },
          { label: '销量', width: 80, prop: 'sales' },
          { label: '状态', width: 90, render: (g) => statusTag(LABELS.goods, state(g)) },
          { label: '更新时间', width: 150, render: (g) => fmtTime(g.updated_at) },
          {
            label: '操作', width: 260, fixed: 'right',
            render: (g) => (g.deleted_at ? h('span', { class: 'muted' }, `删除于 ${fmtTime(g.deleted_at)}`) : h('div', { class: 'row-actions' }, [
              h(ElButton, {
                size: 'small', 'data-action': 'edit',
                onClick: () => editor.open({ id: g.id, category_id: g.category_id, name: g.name, price: g.price, unit: g.unit, stock: g.stock, description: g.description, ...refs(g) }, `编辑「${g.name}」`),
              }, () => '编辑'),
              h(ElButton, { size: 'small', onClick: () => shelf(g, !g.on_shelf), 'data-action': g.on_shelf ? 'unshelve' : 'shelve' }, () => (g.on_shelf ? '下架' : '上架')),
              h(ElButton, { size: 'small', onClick: () => stock.open({ id: g.id, stock: g.stock }, `修改库存：${g.name}`), 'data-action': 'stock' }, () => '库存'),
              h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => remove(g), 'data-action': 'delete' }, () => '删除'),
            ])),
          },
        ],
      }, { toolbar: () => h(ElButton, { type: 'primary', onClick: () => editor.open(), 'data-action': 'create-goods' }, () => '新增商品') }),
      editor.render(),
      stock.render(),
    ])
  },
})
