// The shop a merchant page works on (from the path), and its profile, loaded once per page.

import { api } from './api.js'
import { route } from './router.js'

export const shopId = () => Number(route.params.mid)

const profiles = new Map()

export function shopProfile(id = shopId(), { fresh = false } = {}) {
  if (fresh || !profiles.has(id)) {
    const p = api.get(`/merchants/${id}`)
    p.catch(() => profiles.delete(id))
    profiles.set(id, p)
  }
  return profiles.get(id)
}
