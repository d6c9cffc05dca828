// The communities the signed-in admin works on, and names and maps of any
// community by id (the API caches these reads).

import { reactive } from 'vue'
import { allPages, api } from './api.js'
import { session } from './session.js'

const names = reactive({})
const details = new Map()

// GET /communities/{id}: grids and buildings; one request per id per page load.
export function communityDetail(id) {
  const key = Number(id)
  if (!details.has(key)) {
    const p = api.get(`/communities/${key}`).then((c) => {
      names[c.id] = c.name
      return c
    })
    p.catch(() => details.delete(key))
    details.set(key, p)
  }
  return details.get(key)
}

// The name of a community, or its number until it has loaded.
export function communityName(id) {
  if (id === null || id === undefined) return '—'
  if (!(id in names)) {
    names[id] = `#${id}`
    communityDetail(id).catch(() => {})
  }
  return names[id]
}

let mine = null

// The communities this admin manages: their own few, or every one for a platform admin.
export function myCommunities({ onPage } = {}) {
  if (!mine) {
    const ids = session.adminCommunityIds
    mine = (ids === null
      ? allPages('/communities', {}, { onPage })
      : Promise.all(ids.map((id) => communityDetail(id))))
      .then((list) => {
        for (const c of list) names[c.id] = c.name
        return list
      })
    mine.catch(() => { mine = null })
  }
  return mine
}

// Forget what was loaded (after creating a community, or another sign-in).
export function forgetCommunities() {
  mine = null
  details.clear()
}

export const communityOptions = (list) => list.map((c) => ({ label: c.name, value: c.id }))
