// The shop's sales figures (GET /merchants/{id}/stats): orders, revenue and
// refunds over a range of China-time days kept in the URL, by day as a
// chart, and the goods sold most.

import { defineComponent, h, nextTick, onMounted, onUnmounted, reactive, ref, watch } from 'vue'
import { ElAlert, ElCard, ElCol, ElDatePicker, ElRow, ElTable, ElTableColumn } from 'element-plus'
import * as echarts from 'echarts'
import { api } from '../api.js'
import { route, setQuery } from '../router.js'
import { shopId } from '../shop.js'
import { fmtMoney } from '../ui/format.js'

export const SalesPage = defineComponent({
  name: 'SalesPage',
  setup() {
    const s = reactive({ figures: null, error: null })
    const el = ref(null)

    async function load() {
      try {
        s.figures = await api.get(`/merchants/${shopId()}/stats`, { from: route.query.from, to: route.query.to })
        s.error = null
      } catch (err) {
        s.figures = null
        s.error = err
      }
      nextTick(draw)
    }

    function draw() {
      if (!el.value || !s.figures) return
      const days = s.figures.days
      const c = echarts.getInstanceByDom(el.value) || echarts.init(el.value)
      c.setOption({
        tooltip: { trigger: 'axis', renderMode: 'richText' },
        legend: { top: 0 },
        grid: { left: 48, right: 48, top: 36, bottom: 32 },
        xAxis: { type: 'category', data: days.map((d) => d.date.slice(5)) },
        yAxis: [{ type: 'value', name: '订单', minInterval: 1 }, { type: 'value', name: '营业额（元）' }],
        series: [
          { name: '订单', type: 'bar', data: days.map((d) => d.orders), barMaxWidth: 24 },
          { name: '营业额', type: 'line', yAxisIndex: 1, smooth: true, data: days.map((d) => Number(d.revenue)) },
          { name: '退款', type: 'line', yAxisIndex: 1, smooth: true, data: days.map((d) => Number(d.refunded)) },
        ],
      }, true)
    }

    const onResize = () => { const c = el.value && echarts.getInstanceByDom(el.value); if (c) c.resize() }
    onMounted(() => { window.addEventListener('resize', onResize); load() })
    onUnmounted(() => {
      window.removeEventListener('resize', onResize)
      const c = el.value && echarts.getInstanceByDom(el.value)
      if (c) c.dispose()
    })
    watch(() => [route.query.from, route.query.to], load)

    const card = (key, title, value) => h(ElCol, { xs: 12, md: 6 }, () => h(ElCard, { shadow: 'never', class: 'stat-card', 'data-stat': key }, () => [h('div', { class: 'figure-title' }, title), h('div', { class: 'figure-value' }, value)]))

    return () => {
      const f = s.figures
      return h('div', {}, [
        h('div', { class: 'toolbar' }, [
          h(ElDatePicker, {
            type: 'daterange', valueFormat: 'YYYY-MM-DD', startPlaceholder: '开始日期', endPlaceholder: '结束日期', rangeSeparator: '至',
            modelValue: route.query.from && route.query.to ? [route.query.from, route.query.to] : (f ? [f.from, f.to] : null),
            'onUpdate:modelValue': (v) => setQuery({ from: v ? v[0] : undefined, to: v ? v[1] : undefined }),
            'data-filter': 'range',
          }),
        ]),
        s.error ? h(ElAlert, { type: 'error', title: s.error.message, showIcon: true, closable: false, class: 'list-error' }) : null,
        f ? h(ElRow, { gutter: 12, class: 'stat-cards' }, () => [
          card('orders', '订单数', String(f.orders)),
          card('revenue', '营业额（已交付）', fmtMoney(f.revenue)),
          card('refunds', '退款笔数', String(f.refunds)),
          card('refunded', '退款金额', fmtMoney(f.refunded)),
        ]) : null,
        h(ElCard, { shadow: 'never', class: 'chart-card' }, { header: () => '每日销售', default: () => h('div', { ref: el, class: 'chart', 'data-chart': 'sales' }) }),
        f ? h(ElCard, { shadow: 'never', class: 'chart-card' }, {
          header: () => '热销商品（前 10）',
          default: () => h(ElTable, { data: f.top_goods, border: true, emptyText: '暂无销售', class: 'top-goods' }, () => [
            h(ElTableColumn, { label: '商品', prop: 'name' }),
            h(ElTableColumn, { label: '销量', prop: 'quantity', width: 120 }),
          ]),
        }) : null,
      ])
    }
  },
})
