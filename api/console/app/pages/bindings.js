// Building bindings waiting for approval (GET /bindings/pending): a
// resident who bound a building of a community that checks bindings waits
// here; approve, or reject (they are unbound and told). Per community, the
// admin turns the check on or off (turning it off approves every pending one).

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElButton } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { route } from '../router.js'
import { confirmAction } from '../ui/confirm.js'
import { fmtTime } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'
import { placesOf } from './users.js'

export const BindingsPage = defineComponent({
  name: 'BindingsPage',
  setup() {
    const list = ref(null)
    const communities = ref([])
    const buildings = ref({})
    onMounted(async () => {
      communities.value = await myCommunities()
      for (const c of communities.value.slice(0, 20)) buildings.value = { ...buildings.value, ...(await placesOf(c.id)).buildings }
    })
    const reload = () => list.value.reload()

    const decide = (b, approve) => confirmAction({
      title: approve ? '通过绑定' : '驳回绑定',
      message: approve
        ? `确认「${b.nickname}」住在${buildings.value[b.building_id] || `楼栋 #${b.building_id}`}${b.room ? ` ${b.room}` : ''}？`
        : `驳回「${b.nickname}」的楼栋绑定？对方将被解除绑定并收到提醒。`,
      confirmText: approve ? '通过' : '驳回',
      danger: !approve,
      done: approve ? '已通过' : '已驳回',
      action: () => api.post(`/bindings/${b.user_id}/${approve ? 'approve' : 'reject'}`),
    }).then((r) => r && reload())

    const setting = (on) => {
      const id = route.query.community_id
      return confirmAction({
        title: on ? '开启绑定审核' : '关闭绑定审核',
        message: on
          ? `开启后「${communityName(Number(id))}」居民新绑定楼栋需审核通过。`
          : `关闭后「${communityName(Number(id))}」所有待审核的绑定将全部通过。`,
        confirmText: on ? '开启' : '关闭并全部通过',
        danger: !on,
        done: on ? '已开启绑定审核' : '已关闭绑定审核',
        action: () => api.put(`/admin/communities/${id}/binding-approval`, { binding_requires_approval: on }),
      }).then((r) => r && reload())
    }

    return () => h(PagedList, {
      ref: list,
      fetch: (q) => api.get('/bindings/pending', q),
      filters: [{ key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' }],
      rowKey: 'user_id',
      emptyText: '没有待审核的绑定',
      columns: [
        { label: '用户编号', prop: 'user_id', width: 90 },
        { label: '昵称', minWidth: 120, render: (b) => h('span', { 'data-binding': b.user_id }, b.nickname) },
        { label: '手机', width: 130, render: (b) => b.phone || '—' },
        { label: '社区', minWidth: 110, render: (b) => communityName(b.community_id) },
        { label: '楼栋 / 房号', minWidth: 150, render: (b) => `${buildings.value[b.building_id] || `#${b.building_id}`} ${b.room || ''}` },
        { label: '申请时间', width: 150, render: (b) => fmtTime(b.requested_at) },
        {
          label: '操作', width: 150, fixed: 'right',
          render: (b) => h('div', { class: 'row-actions' }, [
            h(ElButton, { size: 'small', type: 'primary', onClick: () => decide(b, true), 'data-action': 'approve' }, () => '通过'),
            h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => decide(b, false), 'data-action': 'reject' }, () => '驳回'),
          ]),
        },
      ],
    }, {
      toolbar: () => (route.query.community_id ? [
        h(ElButton, { onClick: () => setting(true), 'data-action': 'approval-on' }, () => '开启审核'),
        h(ElButton, { onClick: () => setting(false), 'data-action': 'approval-off' }, () => '关闭审核'),
      ] : null),
    })
  },
})
