// Who is signed in. The access token stays in memory (api.js); the refresh
// token is an HttpOnly cookie on /api/v1/console/session that only the
// server reads. A reload restores the session through that cookie.

import { reactive } from 'vue'
import { api, onRefresh, setAccessToken } from './api.js'

export const session = reactive({
  ready: false,
  user: null,
  // null = every community (platform admin).
  adminCommunityIds: [],
  merchants: [],
})

export function adopt(s) {
  setAccessToken(s.access_token)
  session.user = s.user
  session.adminCommunityIds = s.admin_community_ids
  session.merchants = s.merchants || []
}

function drop() {
  setAccessToken(null)
  session.user = null
  session.adminCommunityIds = []
  session.merchants = []
}

export const hasRole = (role) => !!session.user && session.user.roles.includes(role)
export const isPlatform = () => hasRole('platform_admin')
export const isAdmin = () => hasRole('platform_admin') || hasRole('community_admin')
export const isMerchant = () => session.merchants.length > 0

// Several tabs share one cookie: rotate it one tab at a time, or the second
// tab would present the spent token and sign every tab out.
function exclusively(fn) {
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request('yizhan-console-refresh', fn)
  }
  return fn()
}

export async function refresh() {
  return exclusively(async () => {
    try {
      adopt(await api.post('/console/session/refresh', {}, { noRefresh: true }))
    } catch (err) {
      drop()
      throw err
    }
  })
}

// On load: a session from the cookie, if there is one.
export async function restore() {
  try {
    await refresh()
  } catch {
    // Not signed in.
  }
  session.ready = true
}

export async function loginWithPassword(username, password) {
  const pair = await api.post('/auth/admin/login', { username, password }, { noRefresh: true })
  // The pair's refresh token is spent at once; its successor lives in the cookie.
  adopt(await api.post('/console/session', { refresh_token: pair.refresh_token }, { noRefresh: true }))
}

export async function logout() {
  try {
    await api.post('/console/session/logout', {}, { noRefresh: true })
  } finally {
    drop()
  }
}

onRefresh(refresh)
