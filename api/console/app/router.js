// A small history router under /console: the path picks the page, the query
// string holds every list's filters and page, so a list can be bookmarked,
// shared and reloaded as it is.

import { defineComponent, h, reactive } from 'vue'
import { queryString } from './api.js'

export const BASE = '/console'

export const route = reactive({ path: '/', query: {}, params: {}, def: null })

let table = []

function compile(pattern) {
  const names = []
  const re = pattern.replace(/:([a-z_]+)/g, (_, name) => {
    names.push(name)
    return '([^/]+)'
  })
  return { re: new RegExp(`^${re}/?$`), names }
}

// [{path: '/shops/:mid/goods', component, title, allow(session) -> bool}]
export function defineRoutes(list) {
  table = list.map((r) => ({ ...r, ...compile(r.path) }))
  sync()
}

function sync() {
  let path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/'
  if (!path) path = '/'
  route.path = path
  route.query = Object.fromEntries(new URLSearchParams(location.search))
  route.def = null
  route.params = {}
  for (const r of table) {
    const m = r.re.exec(path)
    if (m) {
      route.def = r
      route.params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]))
      break
    }
  }
  document.title = route.def && route.def.title ? `${route.def.title} - 驿站管理后台` : '驿站管理后台'
}

export function href(path, query = {}) {
  return `${BASE}${path}${queryString(query)}`
}

export function go(path, query = {}, { replace = false } = {}) {
  const url = href(path, query)
  if (url === location.pathname + location.search) return
  history[replace ? 'replaceState' : 'pushState']({}, '', url)
  sync()
}

// Merges `patch` into the query string (empty values drop out).
export function setQuery(patch, { replace = false } = {}) {
  go(route.path, { ...route.query, ...patch }, { replace })
}

window.addEventListener('popstate', sync)

export const RouterLink = defineComponent({
  name: 'RouterLink',
  props: { to: { type: String, required: true }, query: { type: Object, default: () => ({}) } },
  setup(props, { slots }) {
    return () => h('a', {
      href: href(props.to, props.query),
      class: 'router-link',
      onClick: (e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
        e.preventDefault()
        go(props.to, props.query)
      },
    }, slots.default ? slots.default() : props.to)
  },
})
