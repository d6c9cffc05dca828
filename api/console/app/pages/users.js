// The users directory (GET /admin/users): people bound to the admin's
// communities by phone, nickname or building, with their roles and
// bindings. A resident can be made the grid worker of a grid from here.

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElButton, ElDatePicker, ElTag } from 'element-plus'
import { api } from '../api.js'
import { communityDetail, communityName, communityOptions, myCommunities } from '../communities.js'
import { route } from '../router.js'
import { useFormDialog } from '../ui/dialog.js'
import { ROLE_NAMES } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

// Buildings and grids of a community, by id.
export async function placesOf(communityId) {
  if (!communityId) return { buildings: {}, grids: [] }
  const c = await communityDetail(communityId)
  const buildings = {}
  for (const g of c.grids) for (const b of g.buildings || []) buildings[b.id] = `${g.name} ${b.name}`
  return { buildings, grids: c.grids }
}

// Assigning a grid worker: a dialog whose grid picker follows the person's community.
export function gridWorkerDialog(onDone) {
  const grids = ref([])
  const d = useFormDialog({
    name: 'grid-worker',
    title: '指派为网格员',
    fields: [
      { prop: 'who', label: '居民', type: 'custom', render: (m) => h('span', { 'data-who': m.user_id }, `${m.nickname}（用户编号 ${m.user_id}）`) },
      { prop: 'grid_id', label: '网格', type: 'select', required: true, options: () => grids.value.map((g) => ({ label: g.name, value: g.id })) },
    ],
    submit: (m) => api.post('/admin/grid-workers', { user_id: m.user_id, grid_id: m.grid_id }),
    done: '已指派为网格员',
    onDone,
  })
  return {
    render: d.render,
    open: async (person) => {
      grids.value = (await placesOf(person.community_id)).grids
      d.open({ user_id: person.id, nickname: person.nickname, grid_id: null })
    },
  }
}

// Verifying a resident's birth date (PUT /residents/{id}/birth-date), as on
// their ID card: age-limited activities and the canteen subsidy go by it.
export function birthDateDialog(onDone) {
  return useFormDialog({
    name: 'birth-date',
    title: '核验出生日期',
    fields: [
      { prop: 'who', label: '居民', type: 'custom', render: (m) => h('span', { 'data-who': m.user_id }, `${m.nickname}（用户编号 ${m.user_id}）`) },
      {
        prop: 'birth_date', label: '出生日期', type: 'custom', required: true, hint: '请核对居民身份证上的出生日期',
        render: (m) => h(ElDatePicker, { modelValue: m.birth_date, 'onUpdate:modelValue': (v) => { m.birth_date = v }, type: 'date', valueFormat: 'YYYY-MM-DD', format: 'YYYY-MM-DD', placeholder: 'YYYY-MM-DD', clearable: true }),
      },
    ],
    submit: (m) => api.put(`/residents/${m.user_id}/birth-date`, { birth_date: m.birth_date || '' }),
    submitText: '确认核验',
    done: (r) => `已核验出生日期：${r.birth_date}`,
    onDone,
  })
}

export const UsersPage = defineComponent({
  name: 'UsersPage',
  setup() {
    const list = ref(null)
    const communities = ref([])
    // Names of the buildings and grids of the communities the rows live in,
    // and the buildings of the community filtered on (its building filter).
    const names = ref({ buildings: {}, grids: {} })
    const filterBuildings = ref({})
    onMounted(async () => { communities.value = await myCommunities() })
    async function loadPlaces(rows) {
      filterBuildings.value = (await placesOf(route.query.community_id)).buildings
      const ids = [...new Set(rows.map((u) => u.community_id).filter(Boolean))]
      const next = { buildings: { ...names.value.buildings }, grids: { ...names.value.grids } }
      for (const id of ids) {
        const p = await placesOf(id).catch(() => ({ buildings: {}, grids: [] }))
        Object.assign(next.buildings, p.buildings)
        for (const g of p.grids) next.grids[g.id] = g.name
      }
      names.value = next
    }
    const assign = gridWorkerDialog(() => list.value.reload())
    const birth = birthDateDialog(() => list.value.reload())
    const gridName = (id) => names.value.grids[id] || `网格 #${id}`

    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        fetch: async (q) => {
          const res = await api.get('/admin/users', q)
          loadPlaces(res.items)
          return res
        },
        filters: [
          { key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' },
          {
            key: 'building_id', label: '楼栋', type: 'select', placeholder: route.query.community_id ? '全部楼栋' : '先选择社区',
            options: () => Object.entries(filterBuildings.value).map(([value, label]) => ({ value, label })),
          },
          { key: 'phone', label: '手机号', type: 'text', placeholder: '手机号或后四位' },
          { key: 'nickname', label: '昵称', type: 'text', placeholder: '昵称' },
        ],
        columns: [
          { label: '用户编号', prop: 'id', width: 90 },
          { label: '昵称', minWidth: 120, render: (u) => h('span', { 'data-user': u.id }, u.nickname) },
          { label: '手机', width: 130, render: (u) => u.phone || '—' },
          { label: '身份', minWidth: 150, render: (u) => h('div', { class: 'row-actions' }, u.roles.map((r) => h(ElTag, { key: r, size: 'small', type: r === 'resident' ? 'info' : 'primary', disableTransitions: true }, () => ROLE_NAMES[r] || r))) },
          { label: '社区', minWidth: 110, render: (u) => communityName(u.community_id) },
          { label: '楼栋 / 房号', minWidth: 130, render: (u) => (u.building_id ? `${names.value.buildings[u.building_id] || `#${u.building_id}`} ${u.room || ''}` : '未绑定') },
          { label: '网格员', minWidth: 110, render: (u) => (u.grid_ids.length ? u.grid_ids.map(gridName).join('、') : '—') },
          { label: '微信', width: 70, render: (u) => (u.has_wechat ? '是' : '线下') },
          {
            label: '操作', width: 200, fixed: 'right',
            render: (u) => (u.community_id ? h('div', { class: 'row-actions' }, [
              h(ElButton, { size: 'small', onClick: () => assign.open(u), 'data-action': 'make-grid-worker' }, () => '设为网格员'),
              h(ElButton, { size: 'small', onClick: () => birth.open({ user_id: u.id, nickname: u.nickname, birth_date: null }), 'data-action': 'verify-birth-date' }, () => '核验生日'),
            ]) : null),
          },
        ],
      }),
      assign.render(),
      birth.render(),
    ])
  },
})
