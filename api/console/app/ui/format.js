// How values read in the console: times in local time, money as ¥, and the
// Chinese names of every status and kind the API sends.

import { h } from 'vue'
import { ElTag } from 'element-plus'

const pad = (n) => String(n).padStart(2, '0')

export function fmtTime(iso) {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

// A time window; the end without its date when it ends the same day.
export function fmtWindow(start, end) {
  if (!start) return '—'
  const a = fmtTime(start)
  const b = fmtTime(end)
  return a.slice(0, 10) === b.slice(0, 10) ? `${a}–${b.slice(11)}` : `${a} 至 ${b}`
}

export const fmtMoney = (s) => (s === undefined || s === null ? '—' : `¥${s}`)

// A Date (from a picker) as RFC 3339, or undefined when empty.
export const toIso = (d) => (d ? new Date(d).toISOString() : undefined)

export const LABELS = {
  application: { pending: ['待审核', 'warning'], approved: ['已通过', 'success'], rejected: ['已驳回', 'danger'] },
  merchant: { active: ['营业中', 'success'], suspended: ['已暂停', 'danger'] },
  notice: { draft: ['草稿', 'info'], scheduled: ['定时发布', 'warning'], published: ['已发布', 'success'], withdrawn: ['已撤回', 'danger'] },
  groupBuy: {
    upcoming: ['未开始', 'info'], ongoing: ['进行中', 'primary'], settling: ['结算中', 'warning'],
    succeeded: ['已成团', 'success'], failed: ['未成团', 'danger'], cancelled: ['已取消', 'info'],
  },
  order: {
    pending_payment: ['待支付', 'warning'], placed: ['已下单', 'primary'], awaiting_pickup: ['待提货', 'warning'],
    picked_up: ['已提货', 'success'], accepted: ['已接单', 'primary'], ready_for_pickup: ['待自提', 'warning'],
    delivering: ['配送中', 'warning'], completed: ['已完成', 'success'], cancelled: ['已取消', 'info'],
    refunding: ['退款中', 'warning'], refunded: ['已退款', 'info'], expired: ['已过期', 'info'],
  },
  helper: { active: ['服务中', 'success'], suspended: ['已暂停', 'danger'] },
  admin: { enabled: ['正常', 'success'], disabled: ['已停用', 'danger'] },
  request: {
    submitted: ['待交办', 'warning'], assigned: ['已交办', 'primary'], accepted: ['处理中', 'primary'], returned: ['已退回', 'danger'],
    resolved: ['已办结', 'success'], closed: ['已关闭', 'info'], withdrawn: ['已撤回', 'info'],
  },
  goods: { on: ['在售', 'success'], off: ['已下架', 'info'], deleted: ['已删除', 'danger'] },
}

export const ORDER_KINDS = { group_buy: '团购订单', shop: '店铺订单' }
export const FULFILMENT = { pickup: '到店自提', delivery: '配送上门' }

export const NOTICE_KINDS = {
  water_outage: '停水', power_outage: '停电', gas_outage: '停气', heating: '供暖',
  activity: '社区活动', government: '政务公告', general: '一般通知',
}
export const OUTAGE_KINDS = ['water_outage', 'power_outage', 'gas_outage']

export const ROLE_NAMES = {
  platform_admin: '平台管理员', community_admin: '社区管理员', merchant: '商户',
  helper: '服务人员', grid_worker: '网格员', resident: '居民',
}

// Select options from a label table: [{label, value}].
export const optionsOf = (table) => Object.entries(table).map(([value, v]) => ({ value, label: Array.isArray(v) ? v[0] : v }))

export function statusTag(table, value) {
  const [text, type] = table[value] || [value, 'info']
  return h(ElTag, { type, disableTransitions: true, 'data-status': value }, () => text)
}
