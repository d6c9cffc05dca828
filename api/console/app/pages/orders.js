// The order desk: hand over orders by pickup code (look the code up, check
// the order, then confirm), and every order of both kinds, filtered by kind,
// campaign and status; a shop order moves on from its row: accept or
// decline (with a reason; stock back, refunded), ready for pickup, out for
// delivery, delivered.

import { defineComponent, h, onMounted, reactive, ref } from 'vue'
import { ElAlert, ElButton, ElCard, ElDescriptions, ElDescriptionsItem, ElInput } from 'element-plus'
import { allPages, api } from '../api.js'
import { shopId } from '../shop.js'
import { FULFILMENT, LABELS, ORDER_KINDS, fmtMoney, fmtTime, optionsOf, statusTag } from '../ui/format.js'
import { showError, toast } from '../ui/notify.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { PagedList } from '../ui/paged-list.js'

export const OrdersPage = defineComponent({
  name: 'OrdersPage',
  setup() {
    const list = ref(null)
    const campaigns = ref([])
    const desk = reactive({ code: '', found: null, error: '', busy: false, done: null })
    onMounted(async () => {
      campaigns.value = await allPages(`/merchants/${shopId()}/group-buys`, {}, { maxPages: 3 }).catch(() => [])
    })
    const titles = () => Object.fromEntries(campaigns.value.map((g) => [g.id, g.title]))

    // The desk steps of a shop order in each status: [step, label, confirm?].
    const STEPS = {
      placed: [['accept', '接单']],
      accepted: [['ready', '备好待取', 'pickup'], ['deliver', '开始配送', 'delivery']],
      delivering: [['complete', '已送达']],
    }
    const step = (o, name, label) => api.post(`/merchants/${shopId()}/orders/${encodeURIComponent(o.order_no)}/${name}`)
      .then(() => { toast(`${label}：${o.order_no}`); list.value.reload() })
      .catch(showError)
    const complete = (o) => confirmAction({
      title: '确认送达', message: `订单 ${o.order_no} 已送到 ${o.delivery_address || '顾客'}？`, confirmText: '已送达', danger: false, done: '订单已完成',
      action: () => api.post(`/merchants/${shopId()}/orders/${encodeURIComponent(o.order_no)}/complete`),
    }).then((r) => r && list.value.reload())
    const decline = useFormDialog({
      name: 'decline',
      title: '拒单',
      fields: [{ prop: 'reason', label: '拒单原因', type: 'textarea', required: true, maxlength: 200, placeholder: '顾客会看到这段说明；已支付的订单将原路退款' }],
      initial: () => ({ reason: '' }),
      submit: (m) => api.post(`/merchants/${shopId()}/orders/${encodeURIComponent(m.order_no)}/decline`, { reason: m.reason }),
      done: '已拒单',
      onDone: () => list.value.reload(),
    })
    const actions = (o) => {
      if (o.kind !== 'shop') return null
      const buttons = (STEPS[o.status] || []).filter(([, , only]) => !only || only === o.fulfilment).map(([name, label]) => h(ElButton, {
        size: 'small', type: 'primary', 'data-action': name,
        onClick: () => (name === 'complete' ? complete(o) : step(o, name, label)),
      }, () => label))
      if (o.status === 'placed') buttons.push(h(ElButton, { size: 'small', type: 'danger', plain: true, 'data-action': 'decline', onClick: () => decline.open({ order_no: o.order_no }, `拒单：${o.order_no}`) }, () => '拒单'))
      return buttons.length ? h('div', { class: 'row-actions' }, buttons) : null
    }
    const what = (o) => (o.kind === 'shop'
      ? h('div', { class: 'order-lines' }, o.lines.map((l) => h('div', { key: l.goods_id }, `${l.name} × ${l.quantity}${l.unit}`)))
      : titles()[o.group_buy_id] || `#${o.group_buy_id}`)

    async function lookUp() {
      const code = desk.code.trim()
      Object.assign(desk, { found: null, error: '', done: null })
      if (!code) {
        desk.error = '请输入提货码'
        return
      }
      desk.busy = true
      try {
        desk.found = await api.get(`/merchants/${shopId()}/pickups/${encodeURIComponent(code)}`)
      } catch (err) {
        desk.error = err.message
      } finally {
        desk.busy = false
      }
    }

    async function handOver() {
      desk.busy = true
      try {
        const o = await api.post(`/merchants/${shopId()}/pickups`, { pickup_code: desk.code.trim() })
        desk.done = o
        desk.found = null
        desk.code = ''
        toast('已确认提货')
        list.value.reload()
      } catch (err) {
        desk.error = err.message
      } finally {
        desk.busy = false
      }
    }

    const pickupCard = () => h(ElCard, { shadow: 'never', class: 'pickup-desk section' }, {
      header: () => '核销提货码',
      default: () => [
        h('div', { class: 'pickup-input' }, [
          h(ElInput, {
            modelValue: desk.code,
            'onUpdate:modelValue': (v) => { desk.code = v.replace(/\s/g, '') },
            onKeyup: (e) => { if (e.key === 'Enter') lookUp() },
            placeholder: '输入顾客出示的 8 位提货码',
            maxlength: 16,
            clearable: true,
            size: 'large',
            'data-input': 'pickup-code',
          }),
          h(ElButton, { type: 'primary', size: 'large', loading: desk.busy && !desk.found, onClick: lookUp, 'data-action': 'look-up' }, () => '查询'),
        ]),
        desk.error ? h(ElAlert, { type: 'error', title: desk.error, showIcon: true, closable: false, class: 'pickup-error' }) : null,
        desk.done ? h(ElAlert, { type: 'success', title: `订单 ${desk.done.order_no} 已提货（${desk.done.quantity} 件）`, showIcon: true, closable: false, class: 'pickup-done' }) : null,
        desk.found ? h('div', { class: 'pickup-found' }, [
          h(ElDescriptions, { border: true, column: 2, title: '请核对订单', 'data-order': desk.found.order_no }, () => [
            h(ElDescriptionsItem, { label: '团购' }, () => desk.found.group_buy_title),
            h(ElDescriptionsItem, { label: '订单号' }, () => desk.found.order_no),
            h(ElDescriptionsItem, { label: '顾客' }, () => desk.found.nickname || '—'),
            h(ElDescriptionsItem, { label: '手机' }, () => desk.found.phone || '—'),
            h(ElDescriptionsItem, { label: '数量' }, () => String(desk.found.quantity)),
            h(ElDescriptionsItem, { label: '金额' }, () => fmtMoney(desk.found.amount)),
            h(ElDescriptionsItem, { label: '自提点' }, () => desk.found.pickup_address),
            h(ElDescriptionsItem, { label: '自提时间' }, () => `${fmtTime(desk.found.pickup_starts_at)} 至 ${fmtTime(desk.found.pickup_ends_at)}`),
          ]),
          h('div', { class: 'pickup-actions' }, [
            h(ElButton, { type: 'success', size: 'large', loading: desk.busy, onClick: handOver, 'data-action': 'hand-over' }, () => '确认提货'),
            h(ElButton, { size: 'large', onClick: () => { desk.found = null } }, () => '取消'),
          ]),
        ]) : null,
      ],
    })

    return () => h('div', {}, [
      pickupCard(),
      h(PagedList, {
        ref: list,
        fetch: (q) => api.get(`/merchants/${shopId()}/orders`, q),
        filters: [
          { key: 'kind', label: '类型', type: 'select', options: optionsOf(ORDER_KINDS), placeholder: '全部类型' },
          { key: 'group_buy_id', label: '团购', type: 'select', options: () => campaigns.value.map((g) => ({ value: g.id, label: g.title })), placeholder: '全部团购' },
          { key: 'status', label: '状态', type: 'select', options: optionsOf(LABELS.order), placeholder: '全部状态' },
        ],
        rowKey: 'order_no',
        columns: [
          { label: '订单号', minWidth: 230, render: (o) => h('span', { 'data-order': o.order_no }, o.order_no) },
          { label: '类型', width: 100, render: (o) => (o.kind === 'shop' ? FULFILMENT[o.fulfilment] || '店铺订单' : '社区团购') },
          { label: '商品 / 团购', minWidth: 160, render: what },
          { label: '配送地址', minWidth: 140, ellipsis: true, render: (o) => o.delivery_address || '—' },
          { label: '顾客', minWidth: 100, render: (o) => o.nickname || '—' },
          { label: '手机', width: 130, render: (o) => o.phone || '—' },
          { label: '数量', width: 70, prop: 'quantity' },
          { label: '金额', width: 100, render: (o) => fmtMoney(o.amount) },
          { label: '状态', width: 100, render: (o) => statusTag(LABELS.order, o.status) },
          { label: '下单时间', width: 150, render: (o) => fmtTime(o.created_at) },
          { label: '提货时间', width: 150, render: (o) => fmtTime(o.picked_up_at) },
          { label: '操作', width: 170, fixed: 'right', render: actions },
        ],
      }),
      decline.render(),
    ])
  },
})
