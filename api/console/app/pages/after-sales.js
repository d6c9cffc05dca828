// After-sales (售后): the shop desk answers its residents' refund requests
// (approve after a confirmation, reject with a reason they read), and a
// community admin decides the ones escalated to them. Both lists filter by
// status, kept in the URL.

import { defineComponent, h, reactive, ref } from 'vue'
import { ElButton, ElImage, ElTooltip } from 'element-plus'
import { api } from '../api.js'
import { shopId, shopProfile } from '../shop.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { ORDER_KINDS, fmtMoney, fmtTime, optionsOf, statusTag } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

export const AFTER_SALE = {
  requested: ['待商户处理', 'warning'], rejected: ['商户已拒绝', 'danger'], escalated: ['待社区仲裁', 'warning'],
  refunding: ['退款中', 'primary'], refunded: ['已退款', 'success'], closed: ['已关闭', 'info'],
}
const DECIDED_BY = { merchant: '商户同意', clock: '超时自动同意', admin: '社区仲裁' }

// The resident's photos as thumbnails, opened large on a click.
const photos = (urls) => (urls.length
  ? h('div', { class: 'photo-cell' }, urls.map((src, i) => h(ElImage, {
    key: src, src, fit: 'cover', class: 'thumb', previewSrcList: urls, initialIndex: i, previewTeleported: true, hideOnClickModal: true, alt: `凭证${i + 1}`,
  })))
  : h('span', { class: 'muted' }, '无'))

// Who said what: the resident's reason, then the merchant's, the escalation's and the admin's.
const reasons = (a) => h('div', { class: 'after-sale-reasons' }, [
  h('div', {}, [h('span', { class: 'muted' }, '顾客：'), a.reason]),
  a.merchant_reason ? h('div', {}, [h('span', { class: 'muted' }, '商户：'), a.merchant_reason]) : null,
  a.escalation_reason ? h('div', {}, [h('span', { class: 'muted' }, '申诉：'), a.escalation_reason]) : null,
  a.admin_reason ? h('div', {}, [h('span', { class: 'muted' }, '仲裁：'), a.admin_reason]) : null,
])

// The status, who decided, and for a request still open, the answer's deadline.
const statusCell = (a) => h('div', {}, [
  statusTag(AFTER_SALE, a.status),
  a.decided_by ? h('div', { class: 'muted small' }, DECIDED_BY[a.decided_by] || a.decided_by) : null,
  a.status === 'requested' ? h(ElTooltip, { content: '逾期未处理将自动同意退款', placement: 'top' }, () => h('div', {
    class: ['small', new Date(a.answer_due_at) < new Date(Date.now() + 6 * 3600e3) ? 'due-soon' : 'muted'],
  }, `${fmtTime(a.answer_due_at)} 前处理`)) : null,
])

const common = [
  {
    label: '订单', minWidth: 190,
    render: (a) => h('div', { 'data-after-sale': a.id, 'data-order': a.order_no }, [h('div', {}, a.order_no), h('div', { class: 'muted small' }, ORDER_KINDS[a.order_kind] || a.order_kind)]),
  },
  {
    label: '退款', width: 100,
    render: (a) => h('div', {}, [h('div', { class: 'money' }, fmtMoney(a.amount)), h('div', { class: 'muted small' }, a.line_ids.length ? `${a.line_ids.length} 件商品` : '整单')]),
  },
  { label: '原因', minWidth: 200, render: reasons },
  { label: '凭证', width: 90, render: (a) => photos(a.photos) },
  { label: '状态', width: 160, render: statusCell },
]

const reasonField = (label, required, placeholder) => [{ prop: 'reason', label, type: 'textarea', required, maxlength: 200, placeholder }]

export const MerchantAfterSalesPage = defineComponent({
  name: 'MerchantAfterSalesPage',
  setup() {
    const list = ref(null)
    const reject = useFormDialog({
      name: 'reject-after-sale',
      title: '拒绝退款',
      fields: reasonField('拒绝原因', true, '顾客会看到这段说明，并可申请社区仲裁'),
      initial: () => ({ reason: '' }),
      submit: (m) => api.post(`/after-sales/${m.id}/reject`, { reason: m.reason }),
      done: '已拒绝退款',
      onDone: () => list.value.reload(),
    })
    const approve = (a) => confirmAction({
      title: '同意退款',
      message: `同意订单 ${a.order_no} 退款 ${fmtMoney(a.amount)}？${a.order_kind === 'shop' ? '微信支付的订单原路退回，线下付款的请当面退还现金。' : '款项将原路退回。'}`,
      confirmText: '同意退款',
      done: '已同意退款',
      action: () => api.post(`/after-sales/${a.id}/approve`),
    }).then((r) => r && list.value.reload())

    const actions = (a) => (a.status === 'requested'
      ? h('div', { class: 'row-actions' }, [
        h(ElButton, { size: 'small', type: 'primary', onClick: () => approve(a), 'data-action': 'approve' }, () => '同意'),
        h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => reject.open({ id: a.id }, `拒绝退款：${a.order_no}`), 'data-action': 'reject' }, () => '拒绝'),
      ])
      : h('span', { class: 'muted small' }, a.decided_at ? `处理于 ${fmtTime(a.decided_at)}` : (a.answered_at ? `答复于 ${fmtTime(a.answered_at)}` : '—')))

    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        fetch: (q) => api.get(`/merchants/${shopId()}/after-sales`, q),
        filters: [{ key: 'status', label: '状态', type: 'select', options: optionsOf(AFTER_SALE), placeholder: '全部状态' }],
        emptyText: '没有售后申请',
        columns: [
          ...common,
          { label: '申请时间', width: 140, render: (a) => fmtTime(a.created_at) },
          { label: '操作', width: 140, fixed: 'right', render: actions },
        ],
      }),
      reject.render(),
    ])
  },
})

export const AdminAfterSalesPage = defineComponent({
  name: 'AdminAfterSalesPage',
  setup() {
    const list = ref(null)
    // Shop names by id, loaded as rows show them.
    const shops = reactive({})
    const shopName = (id) => {
      if (!(id in shops)) {
        shops[id] = `商户 #${id}`
        shopProfile(id).then((m) => { shops[id] = m.name }).catch(() => {})
      }
      return shops[id]
    }
    const decide = (name, title, required, placeholder, done) => useFormDialog({
      name,
      title,
      fields: reasonField(required ? '仲裁意见' : '仲裁意见（选填）', required, placeholder),
      initial: () => ({ reason: '' }),
      submitText: title,
      submitType: name === 'admin-reject' ? 'danger' : 'primary',
      submit: (m) => api.post(`/admin/after-sales/${m.id}/${name === 'admin-reject' ? 'reject' : 'approve'}`, { reason: m.reason }),
      done,
      onDone: () => list.value.reload(),
    })
    const approve = decide('admin-approve', '同意退款', false, '居民和商户都会看到这段意见；同意后款项原路退回', '已同意退款')
    const reject = decide('admin-reject', '驳回申诉', true, '居民和商户都会看到这段意见；驳回后此申请结束', '已驳回申诉')

    const actions = (a) => (a.status === 'escalated'
      ? h('div', { class: 'row-actions' }, [
        h(ElButton, { size: 'small', type: 'primary', onClick: () => approve.open({ id: a.id }, `同意退款：${a.order_no}（${fmtMoney(a.amount)}）`), 'data-action': 'approve' }, () => '同意退款'),
        h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => reject.open({ id: a.id }, `驳回申诉：${a.order_no}`), 'data-action': 'reject' }, () => '驳回'),
      ])
      : h('span', { class: 'muted small' }, a.decided_at ? `处理于 ${fmtTime(a.decided_at)}` : '—'))

    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        // The queue by default; 全部状态 asks without a status.
        fetch: (q) => api.get('/admin/after-sales', { ...q, status: q.status === 'all' ? undefined : q.status }),
        filters: [{ key: 'status', label: '状态', type: 'select', clearable: false, options: [{ value: 'all', label: '全部状态' }, ...optionsOf(AFTER_SALE)] }],
        defaults: { status: 'escalated' },
        emptyText: '没有待仲裁的售后申请',
        columns: [
          { label: '商户', minWidth: 120, render: (a) => shopName(a.merchant_id) },
          ...common,
          { label: '申诉时间', width: 140, render: (a) => fmtTime(a.escalated_at) },
          { label: '操作', width: 170, fixed: 'right', render: actions },
        ],
      }),
      approve.render(),
      reject.render(),
    ])
  },
})
