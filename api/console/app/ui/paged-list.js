// A paged table whose page, page size and filters live in the URL: changing
// a filter writes the query string, and the query string drives the load,
// so back / forward, reload and shared links show the same list.

import { defineComponent, h, onUnmounted, ref, watch, withDirectives } from 'vue'
import {
  ElAlert, ElButton, ElInput, ElOption, ElPagination, ElSelect, ElTable, ElTableColumn, vLoading,
} from 'element-plus'
import { route, setQuery } from '../router.js'

const PAGE_SIZES = [10, 20, 50, 100]

export const PagedList = defineComponent({
  name: 'PagedList',
  props: {
    // (query) => Promise<{items, total}>; query holds the filters, page and page_size.
    fetch: { type: Function, required: true },
    // [{label, prop, width, minWidth, render(row), fixed}]
    columns: { type: Array, required: true },
    // [{key, label, type: 'select' | 'text', options, placeholder, clearable}]
    filters: { type: Array, default: () => [] },
    // Filter values used when the URL has none.
    defaults: { type: Object, default: () => ({}) },
    // Prefix of this list's query keys when a page shows two lists.
    prefix: { type: String, default: '' },
    rowKey: { type: String, default: 'id' },
    emptyText: { type: String, default: '暂无数据' },
    // Reload every N ms while `pollWhile(items)` holds (push progress, group-buy progress).
    pollMs: { type: Number, default: 0 },
    pollWhile: { type: Function, default: null },
  },
  emits: ['loaded'],
  setup(props, { slots, expose, emit }) {
    const rows = ref([])
    const total = ref(0)
    const loading = ref(false)
    const error = ref(null)
    const texts = ref({})
    let seq = 0
    let timer = null

    const key = (k) => `${props.prefix}${k}`
    const value = (k) => route.query[key(k)] ?? props.defaults[k] ?? ''
    const page = () => Math.max(1, Number(route.query[key('page')]) || 1)
    const pageSize = () => Number(route.query[key('page_size')]) || 20

    function query() {
      const q = { page: page(), page_size: pageSize() }
      for (const f of props.filters) {
        const v = value(f.key)
        if (v !== '') q[f.key] = v
      }
      return q
    }

    async function load({ quiet = false } = {}) {
      const mine = ++seq
      if (!quiet) loading.value = true
      try {
        const res = await props.fetch(query())
        if (mine !== seq) return
        rows.value = res.items
        total.value = res.total
        error.value = null
        emit('loaded', res)
      } catch (err) {
        if (mine !== seq) return
        rows.value = []
        total.value = 0
        error.value = err
      } finally {
        if (mine === seq) loading.value = false
        schedule()
      }
    }

    function schedule() {
      clearTimeout(timer)
      if (props.pollMs && props.pollWhile && props.pollWhile(rows.value)) {
        timer = setTimeout(() => load({ quiet: true }), props.pollMs)
      }
    }

    const setFilter = (k, v) => setQuery({ [key(k)]: v === '' || v === null || v === undefined ? undefined : v, [key('page')]: undefined })

    // Only this list's keys reload it, and only while its page is shown (a
    // navigation away changes the route just before the list unmounts).
    const home = route.path
    watch(() => JSON.stringify(query()), () => { if (route.path === home) load() }, { immediate: true })
    onUnmounted(() => { seq++; clearTimeout(timer) })
    expose({ reload: () => load(), rows })

    function filterControl(f) {
      if (f.type === 'select') {
        return h(ElSelect, {
          modelValue: value(f.key) === '' ? '' : String(value(f.key)),
          'onUpdate:modelValue': (v) => setFilter(f.key, v),
          placeholder: f.placeholder || f.label,
          clearable: f.clearable !== false,
          filterable: (f.options || []).length > 8,
          class: 'filter',
          'data-filter': f.key,
        }, () => (typeof f.options === 'function' ? f.options() : f.options || [])
          .map((o) => h(ElOption, { key: o.value, label: o.label, value: String(o.value) })))
      }
      const current = texts.value[f.key] ?? value(f.key)
      return h(ElInput, {
        modelValue: current,
        'onUpdate:modelValue': (v) => { texts.value = { ...texts.value, [f.key]: v } },
        onChange: (v) => setFilter(f.key, v.trim()),
        onClear: () => setFilter(f.key, ''),
        placeholder: f.placeholder || f.label,
        clearable: true,
        class: 'filter filter-text',
        'data-filter': f.key,
      })
    }

    return () => h('div', { class: 'paged-list' }, [
      (props.filters.length || slots.toolbar) ? h('div', { class: 'toolbar' }, [
        ...props.filters.map(filterControl),
        h('span', { class: 'toolbar-gap' }),
        slots.toolbar ? slots.toolbar() : null,
        h(ElButton, { onClick: () => load(), 'data-action': 'reload' }, () => '刷新'),
      ]) : null,
      error.value ? h(ElAlert, {
        type: 'error', showIcon: true, closable: false, class: 'list-error',
        title: error.value.status === 403 ? `没有权限查看：${error.value.message}` : error.value.message,
      }) : null,
      withDirectives(h(ElTable, { data: rows.value, rowKey: props.rowKey, border: true, stripe: true, emptyText: error.value ? '无法加载' : props.emptyText, class: 'list-table' },
        () => props.columns.map((c) => h(ElTableColumn, {
          key: c.label, label: c.label, prop: c.prop, width: c.width, minWidth: c.minWidth || (c.width ? undefined : 100), fixed: c.fixed, showOverflowTooltip: c.ellipsis,
        }, c.render ? { default: ({ row }) => c.render(row) } : undefined))), [[vLoading, loading.value]]),
      h(ElPagination, {
        class: 'pager',
        background: true,
        layout: 'total, sizes, prev, pager, next',
        total: total.value,
        currentPage: page(),
        pageSize: pageSize(),
        pageSizes: PAGE_SIZES,
        'onUpdate:currentPage': (p) => setQuery({ [key('page')]: p > 1 ? p : undefined }),
        'onUpdate:pageSize': (s) => setQuery({ [key('page_size')]: s === 20 ? undefined : s, [key('page')]: undefined }),
      }),
    ])
  },
})

// A fetcher over a list already in memory (e.g. the few communities a
// community admin runs), paged like the API pages.
export function pagedLocally(itemsPromise) {
  return async ({ page, page_size }) => {
    const items = await itemsPromise()
    return { items: items.slice((page - 1) * page_size, page * page_size), total: items.length, page, page_size }
  }
}
