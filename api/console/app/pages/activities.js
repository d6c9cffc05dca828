// Activities (活动报名): the admin's list of their communities' activities
// (GET /admin/activities, community filter in the URL) with each one's next
// session and places, and the publish form. A row opens its sessions,
// roster and check-in (activity.js).

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElButton } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { RouterLink, go } from '../router.js'
import { fmtTime, fmtWindow, statusTag } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'
import { progressBar } from '../ui/progress.js'
import { useFormDialog } from '../ui/dialog.js'
import { activityDialog } from './activity-form.js'

// Authorising an organisation's account (a school, a clinic, a volunteer
// team) to publish and run a community's activities.
function organiserDialog(communities) {
  return useFormDialog({
    name: 'organiser',
    title: '授权活动组织方',
    fields: [
      { prop: 'community_id', label: '社区', type: 'select', required: true, options: () => communityOptions(communities.value) },
      { prop: 'user_id', label: '用户编号', type: 'number', required: true, props: { min: 1 }, hint: '组织方负责人登录小程序后，在「居民名录」中可查到其用户编号' },
      { prop: 'name', label: '组织名称', required: true, maxlength: 64, placeholder: '如：实验小学、社区卫生服务站、青年志愿者队' },
    ],
    initial: () => ({ community_id: communities.value[0] ? communities.value[0].id : null, user_id: null, name: '' }),
    submit: (m) => api.post(`/admin/communities/${m.community_id}/activity-organisers`, { user_id: m.user_id, name: m.name }),
    submitText: '授权',
    done: (o) => `已授权「${o.name}」发布和管理活动`,
  })
}

export const ACTIVITY = { published: ['报名中', 'success'], cancelled: ['已取消', 'info'] }

export const ageRange = (a) => {
  if (a.min_age === null && a.max_age === null) return '不限'
  if (a.max_age === null) return `${a.min_age} 岁以上`
  if (a.min_age === null) return `${a.max_age} 岁以下`
  return `${a.min_age}–${a.max_age} 岁`
}

// The next session (lists carry only that one): its time and places taken.
const next = (a) => {
  const s = a.sessions[0]
  if (!s) return h('span', { class: 'muted' }, '已全部结束')
  return h('div', {}, [
    h('div', { class: 'small' }, fmtWindow(s.starts_at, s.ends_at)),
    progressBar(s.taken, s.capacity, { label: `${s.taken} / ${s.capacity}${s.waiting ? `，候补 ${s.waiting}` : ''}` }),
  ])
}

export const ActivitiesPage = defineComponent({
  name: 'ActivitiesPage',
  setup() {
    const list = ref(null)
    const communities = ref([])
    onMounted(async () => { communities.value = await myCommunities() })
    const publish = activityDialog(communities, () => list.value.reload())
    const organiser = organiserDialog(communities)

    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        fetch: (q) => api.get('/admin/activities', q),
        filters: [
          { key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' },
        ],
        emptyText: '还没有活动',
        columns: [
          { label: '活动', minWidth: 150, render: (a) => h(RouterLink, { to: `/activities/${a.id}`, 'data-activity': a.id }, () => a.title) },
          { label: '主办社区', minWidth: 110, render: (a) => communityName(a.community_id) },
          { label: '地点', minWidth: 110, ellipsis: true, prop: 'place' },
          { label: '下一场 / 名额', minWidth: 200, render: next },
          { label: '场次', width: 60, render: (a) => String(a.session_count) },
          { label: '年龄', width: 90, render: ageRange },
          { label: '报名截止', width: 140, render: (a) => fmtTime(a.signup_closes_at) },
          { label: '状态', width: 80, render: (a) => statusTag(ACTIVITY, a.status) },
          {
            label: '操作', width: 120, fixed: 'right',
            render: (a) => h(ElButton, { size: 'small', onClick: () => go(`/activities/${a.id}`), 'data-action': 'sessions' }, () => '场次与签到'),
          },
        ],
      }, {
        toolbar: () => [
          h(ElButton, { onClick: () => go('/activities/attendance'), 'data-action': 'attendance' }, () => '出勤统计'),
          h(ElButton, { onClick: () => organiser.open(), 'data-action': 'add-organiser' }, () => '授权组织方'),
          h(ElButton, { type: 'primary', onClick: () => publish.open(), 'data-action': 'publish' }, () => '发布活动'),
        ],
      }),
      publish.render(),
      organiser.render(),
    ])
  },
})
