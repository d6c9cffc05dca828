// Attendance figures (GET /admin/activities/attendance): the totals, then
// per community, per month (China Standard Time) and per activity, over the
// admin's communities; community and month filters kept in the URL.

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElCard, ElCol, ElRow, ElTable, ElTableColumn } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { RouterLink } from '../router.js'
import { PagedList } from '../ui/paged-list.js'

const FIGURES = [
  ['sessions', '场次'], ['signed_up', '报名'], ['attended', '签到'], ['no_show', '未到场'], ['waiting', '候补中'],
]

// The last 24 months (China Standard Time) as YYYY-MM.
function recentMonths() {
  const now = new Date(Date.now() + 8 * 3600e3)
  const out = []
  for (let i = 0; i < 24; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1))
    const m = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
    out.push({ value: m, label: m })
  }
  return out
}

const rate = (c) => (c.signed_up ? `${Math.round((c.attended / c.signed_up) * 100)}%` : '—')
const figureColumns = FIGURES.map(([key, label]) => ({ label, width: 76, render: (r) => h('span', { 'data-figure': key }, String(r[key])) }))
  .concat([{ label: '出勤率', width: 76, render: rate }])

const smallTable = (rows, first, key) => h(ElTable, { data: rows, border: true, size: 'small', emptyText: '暂无数据', class: 'figure-table' }, () => [
  h(ElTableColumn, { label: first.label, minWidth: 90 }, { default: ({ row }) => first.render(row) }),
  ...figureColumns.map((c) => h(ElTableColumn, { key: `${key}${c.label}`, label: c.label, minWidth: 56 }, { default: ({ row }) => c.render(row) })),
])

export const AttendancePage = defineComponent({
  name: 'AttendancePage',
  setup() {
    const communities = ref([])
    const figures = ref(null)
    onMounted(async () => { communities.value = await myCommunities() })

    // One request answers every table: the per-activity list pages it here.
    async function fetch(q) {
      const res = await api.get('/admin/activities/attendance', { community_id: q.community_id, month: q.month })
      figures.value = res
      const items = res.by_activity.slice((q.page - 1) * q.page_size, q.page * q.page_size)
      return { items, total: res.by_activity.length, page: q.page, page_size: q.page_size }
    }

    const totals = () => {
      const t = figures.value && figures.value.total
      if (!t) return null
      return h(ElRow, { gutter: 12, class: 'stat-cards' }, () => FIGURES.map(([key, label]) => h(ElCol, { key, xs: 12, sm: 8, md: 4 }, () => h(ElCard, { shadow: 'never', class: 'stat-card', 'data-total': key }, () => [
        h('div', { class: 'figure-title' }, label),
        h('div', { class: 'figure-value' }, String(t[key])),
      ]))).concat([h(ElCol, { key: 'rate', xs: 12, sm: 8, md: 4 }, () => h(ElCard, { shadow: 'never', class: 'stat-card' }, () => [
        h('div', { class: 'figure-title' }, '出勤率'),
        h('div', { class: 'figure-value' }, rate(t)),
      ]))]))
    }

    return () => h('div', {}, [
      totals(),
      h(PagedList, {
        fetch,
        filters: [
          { key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' },
          { key: 'month', label: '月份', type: 'select', options: recentMonths(), placeholder: '全部月份' },
        ],
        rowKey: 'activity_id',
        emptyText: '没有活动场次',
        columns: [
          { label: '活动', minWidth: 180, render: (r) => h(RouterLink, { to: `/activities/${r.activity_id}`, 'data-attendance': r.activity_id }, () => r.title) },
          { label: '主办社区', minWidth: 110, render: (r) => communityName(r.community_id) },
          ...figureColumns,
        ],
      }, { toolbar: () => h(RouterLink, { to: '/activities' }, () => '返回活动列表') }),
      figures.value ? h(ElRow, { gutter: 12, class: 'attendance-split' }, () => [
        h(ElCol, { xs: 24, xl: 12 }, () => h(ElCard, { shadow: 'never', class: 'section', header: '按社区' }, () => smallTable(figures.value.by_community, { label: '社区', render: (r) => communityName(r.community_id) }, 'c'))),
        h(ElCol, { xs: 24, xl: 12 }, () => h(ElCard, { shadow: 'never', class: 'section', header: '按月份' }, () => smallTable(figures.value.by_month, { label: '月份', render: (r) => r.month }, 'm'))),
      ]) : null,
    ])
  },
})
