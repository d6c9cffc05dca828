// The dashboard: the county's figures (GET /admin/stats) for all of the
// admin's communities or one of them, and charts comparing the communities.

import { defineComponent, h, nextTick, onMounted, onUnmounted, reactive, ref, watch } from 'vue'
import { ElAlert, ElCard, ElCol, ElOption, ElRow, ElSelect, ElStatistic } from 'element-plus'
import * as echarts from 'echarts'
import { api } from '../api.js'
import { route, setQuery } from '../router.js'
import { communityOptions, myCommunities } from '../communities.js'
import { TaskProgress } from '../ui/progress.js'
import { fmtTime } from '../ui/format.js'

export const METRICS = {
  registered_residents: '注册居民',
  active_merchants: '在营商户',
  goods_on_shelf: '在售商品',
  notices_published: '已发布通知',
  group_buys_run: '团购场次',
  group_buys_succeeded: '成团场次',
  orders: '团购订单',
  bookings_completed: '完成的预约服务',
  residents_served: '服务居民',
}

// The daily series of GET /admin/stats/daily, drawn as lines.
export const DAILY = {
  new_residents: '新注册居民',
  orders: '订单',
  notices_published: '发布通知',
  requests_received: '收到诉求',
}
const RANGES = [{ value: '7', label: '近 7 天' }, { value: '30', label: '近 30 天' }, { value: '90', label: '近 90 天' }]

// YYYY-MM-DD of China time, `back` days before today.
function chinaDay(back) {
  const d = new Date(Date.now() + 8 * 3600 * 1000 - back * 86400 * 1000)
  return d.toISOString().slice(0, 10)
}

// Charts compare at most this many communities (the first ones of a platform's list).
const CHART_LIMIT = 12

function chart(el, option) {
  const c = echarts.getInstanceByDom(el) || echarts.init(el)
  c.setOption(option, true)
  return c
}

export const DashboardPage = defineComponent({
  name: 'DashboardPage',
  setup() {
    const state = reactive({ communities: [], scope: null, per: [], done: 0, total: 0, error: null, truncated: false, daily: null })
    const barEl = ref(null)
    const pieEl = ref(null)
    const lineEl = ref(null)
    const range = () => (RANGES.some((r) => r.value === route.query.days) ? route.query.days : '30')

    async function loadDaily() {
      try {
        state.daily = await api.get('/admin/stats/daily', { community_id: route.query.community_id, from: chinaDay(Number(range()) - 1), to: chinaDay(0) })
      } catch {
        state.daily = null
      }
      draw()
    }
    let alive = true

    const metric = () => (METRICS[route.query.metric] ? route.query.metric : 'registered_residents')

    async function loadScope() {
      try {
        state.scope = await api.get('/admin/stats', { community_id: route.query.community_id })
        state.error = null
      } catch (err) {
        state.scope = null
        state.error = err
      }
      draw()
    }

    async function loadPerCommunity() {
      const list = state.communities.slice(0, CHART_LIMIT)
      state.truncated = state.communities.length > CHART_LIMIT
      state.total = list.length
      state.done = 0
      const per = []
      // Three at a time: each figure set is a handful of COUNT queries.
      const queue = [...list]
      await Promise.all([0, 1, 2].map(async () => {
        while (queue.length && alive) {
          const c = queue.shift()
          try {
            per.push({ community: c, stats: await api.get('/admin/stats', { community_id: c.id }) })
          } catch {
            // Left out of the chart.
          }
          state.done += 1
        }
      }))
      state.per = list.map((c) => per.find((p) => p.community.id === c.id)).filter(Boolean)
      draw()
    }

    function draw() {
      nextTick(() => {
        if (barEl.value && state.per.length) {
          const key = metric()
          chart(barEl.value, {
            tooltip: { trigger: 'axis', renderMode: 'richText' },
            grid: { left: 48, right: 16, top: 32, bottom: 64 },
            xAxis: { type: 'category', data: state.per.map((p) => p.community.name), axisLabel: { interval: 0, rotate: state.per.length > 6 ? 30 : 0 } },
            yAxis: { type: 'value', minInterval: 1 },
            series: [{ name: METRICS[key], type: 'bar', data: state.per.map((p) => p.stats[key]), barMaxWidth: 40, label: { show: true, position: 'top' } }],
          })
        }
        if (lineEl.value && state.daily) {
          const days = state.daily.days
          chart(lineEl.value, {
            tooltip: { trigger: 'axis', renderMode: 'richText' },
            legend: { top: 0 },
            grid: { left: 40, right: 16, top: 36, bottom: 32 },
            xAxis: { type: 'category', data: days.map((d) => d.date.slice(5)) },
            yAxis: { type: 'value', minInterval: 1 },
            series: Object.entries(DAILY).map(([key, name]) => ({ name, type: 'line', smooth: true, showSymbol: days.length <= 31, data: days.map((d) => d[key]) })),
          })
        }
        if (pieEl.value && state.scope) {
          const s = state.scope
          chart(pieEl.value, {
            title: s.group_buys_run ? undefined : { text: '暂无团购', left: 'center', top: 'middle', textStyle: { color: '#909399', fontSize: 14, fontWeight: 'normal' } },
            tooltip: { trigger: 'item', renderMode: 'richText' },
            legend: { bottom: 0, show: s.group_buys_run > 0 },
            series: [{
              name: '社区团购', type: 'pie', radius: ['40%', '68%'],
              data: s.group_buys_run ? [
                { name: '成团', value: s.group_buys_succeeded },
                { name: '未成团或进行中', value: Math.max(0, s.group_buys_run - s.group_buys_succeeded) },
              ] : [],
            }],
          })
        }
      })
    }

    const onResize = () => {
      for (const el of [barEl.value, pieEl.value, lineEl.value]) {
        const c = el && echarts.getInstanceByDom(el)
        if (c) c.resize()
      }
    }

    onMounted(async () => {
      window.addEventListener('resize', onResize)
      loadScope()
      loadDaily()
      try {
        state.communities = await myCommunities()
      } catch (err) {
        state.error = err
        return
      }
      loadPerCommunity()
    })
    onUnmounted(() => {
      alive = false
      window.removeEventListener('resize', onResize)
      for (const el of [barEl.value, pieEl.value, lineEl.value]) {
        const c = el && echarts.getInstanceByDom(el)
        if (c) c.dispose()
      }
    })
    watch(() => route.query.community_id, () => { loadScope(); loadDaily() })
    watch(() => route.query.days, loadDaily)
    watch(() => route.query.metric, draw)

    return () => {
      const s = state.scope
      return h('div', { class: 'dashboard' }, [
        h('div', { class: 'toolbar' }, [
          h(ElSelect, {
            modelValue: route.query.community_id || '',
            'onUpdate:modelValue': (v) => setQuery({ community_id: v || undefined }),
            placeholder: '全部社区', clearable: true, filterable: true, class: 'filter', 'data-filter': 'community_id',
          }, () => communityOptions(state.communities).map((o) => h(ElOption, { key: o.value, label: o.label, value: String(o.value) }))),
          s ? h('span', { class: 'muted' }, `统计时间 ${fmtTime(s.generated_at)}`) : null,
        ]),
        state.error ? h(ElAlert, { type: 'error', title: state.error.message, showIcon: true, closable: false, class: 'list-error' }) : null,
        s ? h(ElRow, { gutter: 12, class: 'stat-cards' }, () => Object.entries(METRICS).map(([key, label]) => h(ElCol, { key, xs: 12, sm: 8, md: 8, lg: 6, xl: 4 },
          () => h(ElCard, { shadow: 'never', class: 'stat-card', 'data-stat': key }, () => h(ElStatistic, { title: label, value: s[key] }))))) : null,
        h(ElCard, { shadow: 'never', class: 'chart-card' }, {
          header: () => h('div', { class: 'card-header' }, [
            h('span', {}, '每日趋势'),
            h(ElSelect, {
              modelValue: range(),
              'onUpdate:modelValue': (v) => setQuery({ days: v === '30' ? undefined : v }, { replace: true }),
              size: 'small', class: 'metric-select', 'data-filter': 'days',
            }, () => RANGES.map((r) => h(ElOption, { key: r.value, value: r.value, label: r.label }))),
          ]),
          default: () => h('div', { ref: lineEl, class: 'chart', 'data-chart': 'daily', 'data-days': state.daily ? state.daily.days.length : 0 }),
        }),
        h(ElRow, { gutter: 12 }, () => [
          h(ElCol, { xs: 24, md: 16 }, () => h(ElCard, { shadow: 'never', class: 'chart-card' }, {
            header: () => h('div', { class: 'card-header' }, [
              h('span', {}, `各社区对比${state.truncated ? `（前 ${CHART_LIMIT} 个社区）` : ''}`),
              h(ElSelect, {
                modelValue: metric(),
                'onUpdate:modelValue': (v) => setQuery({ metric: v === 'registered_residents' ? undefined : v }, { replace: true }),
                size: 'small', class: 'metric-select', 'data-filter': 'metric',
              }, () => Object.entries(METRICS).map(([value, label]) => h(ElOption, { key: value, value, label }))),
            ]),
            default: () => [
              h(TaskProgress, { done: state.done, total: state.total, label: '正在汇总各社区数据' }),
              h('div', { ref: barEl, class: 'chart', 'data-chart': 'communities' }),
            ],
          })),
          h(ElCol, { xs: 24, md: 8 }, () => h(ElCard, { shadow: 'never', class: 'chart-card' }, {
            header: () => '社区团购成团情况',
            default: () => h('div', { ref: pieEl, class: 'chart', 'data-chart': 'group-buys' }),
          })),
        ]),
      ])
    }
  },
})
