// The shop's group-buys (社区团购): open a campaign on an on-shelf goods,
// watch its progress (refreshed while it runs), cancel it, download the
// pickup list.

import { defineComponent, h, onMounted, reactive, ref } from 'vue'
import { ElButton } from 'element-plus'
import { allPages, api } from '../api.js'
import { communityName } from '../communities.js'
import { RouterLink } from '../router.js'
import { shopId, shopProfile } from '../shop.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { LABELS, fmtMoney, fmtTime, optionsOf, statusTag, toIso } from '../ui/format.js'
import { showError, toast } from '../ui/notify.js'
import { PagedList } from '../ui/paged-list.js'
import { TaskProgress, download, progressBar } from '../ui/progress.js'

const LIVE = ['upcoming', 'ongoing', 'settling']
const communityNames = (g) => g.community_ids.map(communityName).join('、')
const hours = (n) => new Date(Date.now() + n * 3600 * 1000)

export const GroupBuysPage = defineComponent({
  name: 'GroupBuysPage',
  setup() {
    const list = ref(null)
    const goods = ref([])
    const served = ref([])
    const csv = reactive({ id: null, done: 0, total: 0 })

    async function loadChoices() {
      const [items, shop] = await Promise.all([
        allPages(`/merchants/${shopId()}/goods`, { status: 'on_shelf' }, { maxPages: 5 }),
        shopProfile(),
      ])
      goods.value = items
      served.value = shop.community_ids
    }
    onMounted(() => loadChoices().catch(showError))

    const fields = [
      { prop: 'goods_id', label: '商品', type: 'select', required: true, options: () => goods.value.map((g) => ({ value: g.id, label: `${g.name}（${fmtMoney(g.price)}/${g.unit}，库存 ${g.stock}）` })), hint: '只能选在售商品；开团会从库存中预留总量' },
      { prop: 'title', label: '团购标题', required: true, maxlength: 60 },
      { prop: 'group_price', label: '团购价', type: 'money', required: true },
      { prop: 'min_quantity', label: '成团数量', type: 'number', required: true },
      { prop: 'total_quantity', label: '总量', type: 'number', required: true },
      { prop: 'per_user_limit', label: '每人限购', type: 'number', required: true },
      { prop: 'starts_at', label: '开始时间', type: 'datetime', required: true },
      { prop: 'ends_at', label: '截单时间', type: 'datetime', required: true },
      { prop: 'pickup_address', label: '自提点', required: true, maxlength: 200 },
      { prop: 'pickup_starts_at', label: '自提开始', type: 'datetime', required: true },
      { prop: 'pickup_ends_at', label: '自提结束', type: 'datetime', required: true },
      { prop: 'community_ids', label: '面向社区', type: 'multiselect', required: true, options: () => served.value.map((id) => ({ value: id, label: communityName(id) })) },
    ]

    const create = useFormDialog({
      name: 'group-buy',
      title: '发起团购',
      drawer: true,
      fields,
      initial: () => ({
        goods_id: null, title: '', group_price: '', min_quantity: 10, total_quantity: 100, per_user_limit: 5,
        starts_at: new Date(), ends_at: hours(48), pickup_address: '', pickup_starts_at: hours(50), pickup_ends_at: hours(74),
        community_ids: [...served.value],
      }),
      submit: (m) => api.post(`/merchants/${shopId()}/group-buys`, {
        goods_id: m.goods_id, title: m.title, group_price: m.group_price, min_quantity: m.min_quantity,
        total_quantity: m.total_quantity, per_user_limit: m.per_user_limit, starts_at: toIso(m.starts_at),
        ends_at: toIso(m.ends_at), pickup_address: m.pickup_address, pickup_starts_at: toIso(m.pickup_starts_at),
        pickup_ends_at: toIso(m.pickup_ends_at), community_ids: m.community_ids,
      }),
      done: (g) => `已发起「${g.title}」`,
      onDone: () => { list.value.reload(); loadChoices().catch(() => {}) },
    })

    const cancel = (g) => confirmAction({
      title: '取消团购',
      message: `取消「${g.title}」？已下的 ${g.orders_count} 个订单将全部取消并退款，未售出的数量退回库存。`,
      confirmText: '取消团购',
      done: '团购已取消',
      action: () => api.post(`/group-buys/${g.id}/cancel`),
    }).then((r) => r && list.value.reload())

    async function pickupList(g) {
      Object.assign(csv, { id: g.id, done: 0, total: g.orders_count || 1 })
      try {
        await download(`/merchants/${shopId()}/group-buys/${g.id}/pickup-list`, `提货单-${g.id}.csv`, (received, total) => {
          csv.done = received
          csv.total = total || received
        })
        toast('提货单已下载')
      } catch (err) {
        showError(err)
      } finally {
        csv.id = null
      }
    }

    return () => h('div', {}, [
      csv.id ? h(TaskProgress, { done: csv.done, total: csv.total + 1, label: '正在下载提货单（字节）' }) : null,
      h(PagedList, {
        ref: list,
        fetch: (q) => api.get(`/merchants/${shopId()}/group-buys`, q),
        filters: [{ key: 'status', label: '状态', type: 'select', options: optionsOf(LABELS.groupBuy), placeholder: '全部状态' }],
        pollMs: 5000,
        pollWhile: (rows) => rows.some((g) => g.status === 'ongoing' || g.status === 'settling'),
        columns: [
          { label: '团购', minWidth: 170, render: (g) => h('div', { 'data-group-buy': g.id }, [h('div', {}, g.title), h('div', { class: 'muted small' }, communityNames(g))]) },
          { label: '团购价', width: 90, render: (g) => fmtMoney(g.group_price) },
          { label: '成团进度', minWidth: 150, render: (g) => progressBar(g.ordered_quantity, g.min_quantity, { status: g.ordered_quantity >= g.min_quantity ? 'success' : undefined, label: `${g.ordered_quantity} / 成团 ${g.min_quantity}` }) },
          { label: '已售 / 总量', minWidth: 150, render: (g) => progressBar(g.ordered_quantity, g.total_quantity) },
          { label: '订单', width: 70, prop: 'orders_count' },
          { label: '截单时间', width: 150, render: (g) => fmtTime(g.ends_at) },
          { label: '状态', width: 90, render: (g) => statusTag(LABELS.groupBuy, g.status) },
          {
            label: '操作', width: 250, fixed: 'right',
            render: (g) => h('div', { class: 'row-actions' }, [
              h(RouterLink, { to: `/shops/${shopId()}/orders`, query: { group_buy_id: g.id } }, () => '订单'),
              h(ElButton, { size: 'small', loading: csv.id === g.id, onClick: () => pickupList(g), 'data-action': 'pickup-list' }, () => '提货单'),
              LIVE.includes(g.status) || g.status === 'succeeded'
                ? h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => cancel(g), 'data-action': 'cancel' }, () => '取消')
                : null,
            ]),
          },
        ],
      }, { toolbar: () => h(ElButton, { type: 'primary', onClick: () => create.open(), 'data-action': 'create-group-buy' }, () => '发起团购') }),
      create.render(),
    ])
  },
})

