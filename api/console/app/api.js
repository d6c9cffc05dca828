// The one way the console talks to the server: the public JSON API under
// /api/v1, with the access token in memory. A 401 for an expired token
// refreshes the session once (the refresh token is an HttpOnly cookie the
// page never sees) and repeats the request.

export class ApiError extends Error {
  constructor(status, code, message, { fields = [], requestId = '', retryAfter = null } = {}) {
    super(message)
    this.status = status
    this.code = code
    // [{field, message}] from details.fields (422 and 400 answers).
    this.fields = fields
    this.requestId = requestId
    this.retryAfter = retryAfter
  }
}

let accessToken = null
let refresher = null
let refreshing = null

export function setAccessToken(token) {
  accessToken = token
}

export function hasAccessToken() {
  return accessToken !== null
}

// session.js supplies how to refresh; kept as a hook so the modules do not import each other.
export function onRefresh(fn) {
  refresher = fn
}

export function queryString(query = {}) {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    params.set(k, String(v))
  }
  const s = params.toString()
  return s ? `?${s}` : ''
}

async function toError(res) {
  let body = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  const e = body && body.error
  const retry = res.headers.get('retry-after')
  let message = (e && e.message) || `请求失败（${res.status}）`
  if (res.status === 429 && retry) message = `${message}（${retry} 秒后可重试）`
  return new ApiError(res.status, (e && e.code) || `HTTP_${res.status}`, message, {
    fields: (e && e.details && Array.isArray(e.details.fields)) ? e.details.fields : [],
    requestId: (body && body.request_id) || res.headers.get('x-request-id') || '',
    retryAfter: retry,
  })
}

async function send(method, path, { query, body, form, headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers }
  if (body !== undefined && !form) h['Content-Type'] = 'application/json'
  if (accessToken) h.Authorization = `Bearer ${accessToken}`
  try {
    return await fetch(`/api/v1${path}${queryString(query)}`, {
      method,
      headers: h,
      // A FormData body (uploads) sets its own multipart Content-Type.
      body: form || (body === undefined ? undefined : JSON.stringify(body)),
      credentials: 'same-origin',
    })
  } catch {
    throw new ApiError(0, 'NETWORK', '网络连接失败，请检查网络后重试')
  }
}

// Answers the parsed JSON (null for 204); `raw: true` answers the Response.
export async function request(method, path, options = {}) {
  let res = await send(method, path, options)
  if (res.status === 401 && accessToken && refresher && !options.noRefresh) {
    const err = await toError(res)
    if (err.code === 'TOKEN_EXPIRED' || err.code === 'TOKEN_INVALID') {
      refreshing = refreshing || refresher().finally(() => { refreshing = null })
      await refreshing
      res = await send(method, path, options)
    } else {
      throw err
    }
  }
  if (!res.ok) throw await toError(res)
  if (options.raw) return res
  if (res.status === 204) return null
  const text = await res.text()
  return text ? JSON.parse(text) : null
}

export const api = {
  get: (path, query, options = {}) => request('GET', path, { ...options, query }),
  post: (path, body = {}, options = {}) => request('POST', path, { ...options, body }),
  patch: (path, body = {}, options = {}) => request('PATCH', path, { ...options, body }),
  del: (path, options = {}) => request('DELETE', path, options),
  put: (path, body = {}, options = {}) => request('PUT', path, { ...options, body }),
  // POST /uploads: a picture for `purpose` (goods_image, ...); answers the UploadView.
  upload: (file, purpose) => {
    const form = new FormData()
    form.append('purpose', purpose)
    form.append('file', file)
    return request('POST', '/uploads', { form })
  },
}

// A binary answer (a QR code PNG) as a data: URL, which the CSP's img-src allows.
export async function dataUrl(path) {
  const blob = await (await request('GET', path, { raw: true })).blob()
  return new Promise((resolve, reject) => {
    const r = new FileReader()
    r.onload = () => resolve(r.result)
    r.onerror = () => reject(new ApiError(0, 'READ', '无法读取图片'))
    r.readAsDataURL(blob)
  })
}

// Every page of a list, for pickers (communities, goods); `onPage` reports progress.
export async function allPages(path, query = {}, { maxPages = 50, onPage } = {}) {
  const items = []
  for (let page = 1; page <= maxPages; page++) {
    const res = await api.get(path, { ...query, page, page_size: 100 })
    items.push(...res.items)
    if (onPage) onPage(items.length, res.total)
    if (items.length >= res.total || res.items.length === 0) break
  }
  return items
}
