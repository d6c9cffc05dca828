// Grid workers (网格员): an admin makes a resident the worker of a grid in
// their community. The API has no list of workers yet; the page shows the
// assignments made here.

import { defineComponent, h, onMounted, reactive, ref } from 'vue'
import { ElAlert, ElCard, ElTable, ElTableColumn } from 'element-plus'
import { api } from '../api.js'
import { communityDetail, communityName, communityOptions, myCommunities } from '../communities.js'
import { ApiForm } from '../ui/form.js'
import { toast } from '../ui/notify.js'
import { fmtTime } from '../ui/format.js'

export const GridWorkersPage = defineComponent({
  name: 'GridWorkersPage',
  setup() {
    const communities = ref([])
    const grids = ref([])
    const done = ref([])
    const m = reactive({ community_id: null, grid_id: null, user_id: null })
    onMounted(async () => { communities.value = await myCommunities() })

    async function pickCommunity(id) {
      m.community_id = id
      m.grid_id = null
      grids.value = id ? (await communityDetail(id)).grids : []
    }

    const fields = [
      { prop: 'community_id', label: '社区', type: 'select', required: true, options: () => communityOptions(communities.value), props: { 'onUpdate:modelValue': pickCommunity } },
      { prop: 'grid_id', label: '网格', type: 'select', required: true, options: () => grids.value.map((g) => ({ label: g.name, value: g.id })) },
      { prop: 'user_id', label: '居民用户编号', type: 'number', required: true, hint: '居民在小程序「我的」页面可以看到自己的用户编号' },
    ]

    return () => h('div', { class: 'narrow-page' }, [
      h(ElAlert, { type: 'info', showIcon: true, closable: false, class: 'page-note', title: '网格员可以为本网格的老人、残疾人等居民代办预约服务。' }),
      h(ElCard, { shadow: 'never' }, () => h(ApiForm, {
        fields,
        model: m,
        submitText: '指派为网格员',
        submit: (x) => api.post('/admin/grid-workers', { user_id: x.user_id, grid_id: x.grid_id }),
        onDone: (w) => {
          toast('已指派')
          done.value.unshift({ ...w, at: new Date().toISOString() })
          m.user_id = null
        },
      })),
      done.value.length ? h(ElCard, { shadow: 'never', class: 'section' }, {
        header: () => '本次已指派',
        default: () => h(ElTable, { data: done.value, border: true }, () => [
          h(ElTableColumn, { label: '用户编号', prop: 'user_id', width: 120 }),
          h(ElTableColumn, { label: '社区' }, { default: ({ row }) => communityName(row.community_id) }),
          h(ElTableColumn, { label: '网格编号', prop: 'grid_id', width: 120 }),
          h(ElTableColumn, { label: '时间', width: 160 }, { default: ({ row }) => fmtTime(row.at) }),
        ]),
      }) : null,
    ])
  },
})
