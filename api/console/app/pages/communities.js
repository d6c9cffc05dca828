// Communities, grids and buildings: every admin views their own; the
// platform admin creates communities, grids and buildings.

import { defineComponent, h, onMounted, reactive, ref } from 'vue'
import { ElButton, ElCard, ElDescriptions, ElDescriptionsItem, ElResult, ElSkeleton, ElTable, ElTableColumn } from 'element-plus'
import { api } from '../api.js'
import { forgetCommunities, myCommunities } from '../communities.js'
import { RouterLink, go, route } from '../router.js'
import { isPlatform, session } from '../session.js'
import { useFormDialog } from '../ui/dialog.js'
import { PagedList, pagedLocally } from '../ui/paged-list.js'

const households = (c) => c.grids.reduce((n, g) => n + g.buildings.reduce((m, b) => m + b.households, 0), 0)
const buildings = (c) => c.grids.reduce((n, g) => n + g.buildings.length, 0)

export const CommunitiesPage = defineComponent({
  name: 'CommunitiesPage',
  setup() {
    const list = ref(null)
    const create = useFormDialog({
      name: 'community',
      title: '新建社区',
      fields: [
        { prop: 'name', label: '名称', required: true },
        { prop: 'district', label: '区县', required: true },
        { prop: 'address', label: '地址', required: true },
        { prop: 'lat', label: '纬度', type: 'number', precision: 6, step: 0.001, required: true },
        { prop: 'lng', label: '经度', type: 'number', precision: 6, step: 0.001, required: true },
      ],
      initial: () => ({ name: '', district: '', address: '', lat: null, lng: null }),
      submit: (m) => api.post('/admin/communities', m),
      done: (c) => `已创建「${c.name}」`,
      onDone: () => { forgetCommunities(); list.value.reload() },
    })
    const fetch = isPlatform() ? (q) => api.get('/communities', q) : pagedLocally(() => myCommunities())
    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        fetch,
        columns: [
          { label: '编号', prop: 'id', width: 80 },
          { label: '社区', minWidth: 150, render: (c) => h(RouterLink, { to: `/communities/${c.id}` }, () => c.name) },
          { label: '区县', prop: 'district', width: 120 },
          { label: '地址', prop: 'address', minWidth: 180, ellipsis: true },
          { label: '网格', width: 80, render: (c) => String(c.grids.length) },
          { label: '楼栋', width: 80, render: (c) => String(buildings(c)) },
          { label: '户数', width: 100, render: (c) => String(households(c)) },
        ],
      }, isPlatform() ? { toolbar: () => h(ElButton, { type: 'primary', onClick: () => create.open(), 'data-action': 'create-community' }, () => '新建社区') } : {}),
      create.render(),
    ])
  },
})

export const CommunityPage = defineComponent({
  name: 'CommunityPage',
  setup() {
    const state = reactive({ community: null, error: null })
    const id = Number(route.params.id)
    // Community admins see the communities they run, nothing else.
    const allowed = session.adminCommunityIds === null || session.adminCommunityIds.includes(id)

    async function load() {
      try {
        state.community = await api.get(`/communities/${id}`)
      } catch (err) {
        state.error = err
      }
    }
    onMounted(() => allowed && load())
    const refresh = () => { forgetCommunities(); load() }

    const grid = useFormDialog({
      name: 'grid',
      title: '新增网格',
      fields: [{ prop: 'name', label: '网格名称', required: true }],
      initial: () => ({ name: '' }),
      submit: (m) => api.post(`/admin/communities/${id}/grids`, { name: m.name }),
      done: '已新增网格',
      onDone: refresh,
    })
    const building = useFormDialog({
      name: 'building',
      title: '新增楼栋',
      fields: [
        { prop: 'name', label: '楼栋名称', required: true, placeholder: '如 3号楼' },
        { prop: 'households', label: '户数', type: 'number', required: true },
      ],
      initial: () => ({ name: '', households: null }),
      submit: (m) => api.post(`/admin/grids/${m.grid_id}/buildings`, { name: m.name, households: m.households }),
      done: '已新增楼栋',
      onDone: refresh,
    })

    return () => {
      if (!allowed) return h(ElResult, { icon: 'error', title: '没有权限查看该社区', subTitle: '只能查看自己负责的社区', 'data-result': 'forbidden' })
      if (state.error) return h(ElResult, { icon: 'warning', title: state.error.message })
      const c = state.community
      if (!c) return h(ElSkeleton, { rows: 6, animated: true })
      return h('div', { class: 'community' }, [
        h(ElDescriptions, { title: c.name, border: true, column: 2, class: 'community-info' }, {
          extra: () => h('div', { class: 'row-actions' }, [
            h(ElButton, { onClick: () => go(`/communities/${id}/qrcodes`), 'data-action': 'qrcodes' }, () => '打印楼栋二维码'),
            isPlatform() ? h(ElButton, { type: 'primary', onClick: () => grid.open(), 'data-action': 'create-grid' }, () => '新增网格') : null,
          ]),
          default: () => [
            h(ElDescriptionsItem, { label: '区县' }, () => c.district),
            h(ElDescriptionsItem, { label: '地址' }, () => c.address),
            h(ElDescriptionsItem, { label: '坐标' }, () => `${c.lat.toFixed(5)}, ${c.lng.toFixed(5)}`),
            h(ElDescriptionsItem, { label: '规模' }, () => `${c.grids.length} 个网格，${buildings(c)} 栋楼，${households(c)} 户`),
          ],
        }),
        ...c.grids.map((g) => h(ElCard, { key: g.id, shadow: 'never', class: 'grid-card', 'data-grid': g.id }, {
          header: () => h('div', { class: 'card-header' }, [
            h('span', {}, `${g.name}（网格编号 ${g.id}）`),
            isPlatform() ? h(ElButton, { size: 'small', onClick: () => building.open({ grid_id: g.id }, `在「${g.name}」新增楼栋`), 'data-action': 'create-building' }, () => '新增楼栋') : null,
          ]),
          default: () => h(ElTable, { data: g.buildings, border: true, emptyText: '还没有楼栋' }, () => [
            h(ElTableColumn, { label: '编号', prop: 'id', width: 90 }),
            h(ElTableColumn, { label: '楼栋', prop: 'name' }),
            h(ElTableColumn, { label: '户数', prop: 'households', width: 120 }),
          ]),
        })),
        c.grids.length ? null : h(ElResult, { icon: 'info', title: '还没有网格' }),
        grid.render(),
        building.render(),
      ])
    }
  },
})

