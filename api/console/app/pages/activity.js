// One activity: its sessions with places taken and waiting, the roster of
// the session chosen (kept in the URL as `session`) where the organiser
// ticks who came (POST /signups/{id}/attend), and the session's rotating
// check-in code (valid 60 s, fetched again as it runs out) for residents
// to check themselves in.

import { defineComponent, h, onUnmounted, ref, watch } from 'vue'
import { ElAlert, ElButton, ElCard, ElDescriptions, ElDescriptionsItem, ElDialog, ElSkeleton } from 'element-plus'
import { api } from '../api.js'
import { communityName } from '../communities.js'
import { route, setQuery } from '../router.js'
import { fmtTime, fmtWindow, statusTag } from '../ui/format.js'
import { showError, toast } from '../ui/notify.js'
import { PagedList, pagedLocally } from '../ui/paged-list.js'
import { progressBar } from '../ui/progress.js'
import { ACTIVITY, ageRange } from './activities.js'

export const SIGNUP = {
  confirmed: ['已报名', 'primary'], waiting: ['候补中', 'warning'], attended: ['已签到', 'success'],
  no_show: ['未到场', 'danger'], cancelled: ['已取消', 'info'],
}
const METHODS = { code: '居民扫码', scan: '扫居民码', roster: '名单勾选' }

// The rotating code of a session, shown large and fetched again before it expires.
function useCheckinCode() {
  const shown = ref(null)
  const code = ref(null)
  const error = ref('')
  const left = ref(0)
  let timer = null
  async function fetchCode() {
    try {
      code.value = await api.get(`/activity-sessions/${shown.value}/checkin-code`)
      error.value = ''
    } catch (err) {
      error.value = err.message
    }
  }
  function tick() {
    if (!shown.value) return
    left.value = code.value ? Math.max(0, Math.round((new Date(code.value.expires_at) - Date.now()) / 1000)) : 0
    if (code.value && left.value <= 5) fetchCode()
  }
  async function open(sessionId) {
    shown.value = sessionId
    code.value = null
    await fetchCode()
    clearInterval(timer)
    timer = setInterval(tick, 1000)
    tick()
  }
  function close() {
    shown.value = null
    clearInterval(timer)
  }
  onUnmounted(close)
  const render = () => h(ElDialog, {
    modelValue: !!shown.value, 'onUpdate:modelValue': (v) => { if (!v) close() }, title: '现场签到码', width: '520px', 'data-dialog': 'checkin-code',
  }, () => (error.value
    ? h(ElAlert, { type: 'error', title: error.value, showIcon: true, closable: false })
    : code.value
      ? h('div', { class: 'checkin-code' }, [
        h('div', { class: 'muted' }, '居民在小程序「活动签到」中输入或扫描此码完成签到'),
        h('code', { class: 'checkin-code-text', 'data-code': code.value.code }, code.value.code),
        h('div', { class: 'muted small' }, `${left.value} 秒后自动更新`),
      ])
      : h(ElSkeleton, { rows: 2 })))
  return { open, render }
}

export const ActivityPage = defineComponent({
  name: 'ActivityPage',
  setup() {
    const activity = ref(null)
    const error = ref('')
    const roster = ref(null)
    const sessions = ref(null)
    const busy = ref(0)
    const code = useCheckinCode()
    const id = () => route.params.id

    async function load() {
      try {
        activity.value = await api.get(`/activities/${encodeURIComponent(id())}`)
        error.value = ''
      } catch (err) {
        error.value = err.message
      }
    }
    watch(id, load, { immediate: true })

    const chosen = () => {
      const s = activity.value && activity.value.sessions
      if (!s || !s.length) return null
      const want = Number(route.query.session)
      return (s.find((x) => x.id === want) || s[0]).id
    }

    async function attend(row) {
      busy.value = row.id
      try {
        await api.post(`/signups/${row.id}/attend`)
        toast(`已签到：${row.participant_name}`)
        roster.value.reload()
        load()
      } catch (err) {
        showError(err)
      } finally {
        busy.value = 0
      }
    }

    const info = (a) => h(ElDescriptions, { border: true, column: 3, class: 'section', 'data-activity': a.id }, () => [
      h(ElDescriptionsItem, { label: '活动' }, () => a.title),
      h(ElDescriptionsItem, { label: '状态' }, () => statusTag(ACTIVITY, a.status)),
      h(ElDescriptionsItem, { label: '地点' }, () => a.place),
      h(ElDescriptionsItem, { label: '主办社区' }, () => communityName(a.community_id)),
      h(ElDescriptionsItem, { label: '开放社区' }, () => a.community_ids.map(communityName).join('、')),
      h(ElDescriptionsItem, { label: '年龄' }, () => ageRange(a)),
      h(ElDescriptionsItem, { label: '报名时间' }, () => `${fmtTime(a.signup_opens_at)} 至 ${fmtTime(a.signup_closes_at)}`),
      h(ElDescriptionsItem, { label: '候补' }, () => (a.waitlist ? '开放候补' : '不候补')),
      h(ElDescriptionsItem, { label: '签到积分' }, () => String(a.points)),
    ])

    const sessionColumns = [
      { label: '场次时间', minWidth: 200, render: (s) => h('span', { 'data-session': s.id }, fmtWindow(s.starts_at, s.ends_at)) },
      { label: '名额', minWidth: 180, render: (s) => progressBar(s.taken, s.capacity) },
      { label: '剩余', width: 70, render: (s) => String(s.remaining) },
      { label: '候补', width: 70, render: (s) => String(s.waiting) },
      {
        label: '操作', width: 200, fixed: 'right',
        render: (s) => h('div', { class: 'row-actions' }, [
          h(ElButton, { size: 'small', type: s.id === chosen() ? 'primary' : 'default', onClick: () => setQuery({ session: s.id, r_page: undefined }), 'data-action': 'roster' }, () => '报名名单'),
          h(ElButton, { size: 'small', onClick: () => code.open(s.id), 'data-action': 'checkin-code' }, () => '签到码'),
        ]),
      },
    ]

    const rosterColumns = [
      { label: '参与人', minWidth: 140, render: (r) => h('span', { 'data-signup': r.id }, r.participant_name) },
      { label: '家属报名', width: 90, render: (r) => (r.family_member_id ? '是' : '—') },
      { label: '状态', width: 110, render: (r) => h('div', {}, [statusTag(SIGNUP, r.status), r.waiting_position ? h('span', { class: 'muted small' }, ` 第 ${r.waiting_position} 位`) : null]) },
      { label: '报名时间', width: 150, render: (r) => fmtTime(r.created_at) },
      { label: '签到时间', width: 150, render: (r) => fmtTime(r.checked_in_at) },
      { label: '签到方式', width: 100, render: (r) => (r.checkin_method ? METHODS[r.checkin_method] || r.checkin_method : '—') },
      {
        label: '操作', width: 110, fixed: 'right',
        render: (r) => (['confirmed', 'no_show'].includes(r.status)
          ? h(ElButton, { size: 'small', type: 'success', loading: busy.value === r.id, onClick: () => attend(r), 'data-action': 'attend' }, () => '签到')
          : null),
      },
    ]

    return () => {
      if (error.value) return h(ElAlert, { type: 'error', title: error.value, showIcon: true, closable: false })
      const a = activity.value
      if (!a) return h(ElSkeleton, { rows: 6, animated: true })
      const sid = chosen()
      const current = a.sessions.find((x) => x.id === sid)
      return h('div', {}, [
        info(a),
        h(ElCard, { shadow: 'never', class: 'section' }, {
          header: () => `场次（共 ${a.session_count} 场）`,
          default: () => h(PagedList, { ref: sessions, prefix: 's_', fetch: pagedLocally(async () => (activity.value ? activity.value.sessions : [])), columns: sessionColumns, emptyText: '没有场次' }),
        }),
        sid ? h(ElCard, { shadow: 'never', class: 'section', 'data-roster': sid }, {
          header: () => `报名名单：${fmtWindow(current.starts_at, current.ends_at)}`,
          default: () => h(PagedList, {
            key: sid, ref: roster, prefix: 'r_', fetch: pagedLocally(() => api.get(`/activity-sessions/${sid}/roster`)), columns: rosterColumns, emptyText: '还没有人报名',
          }),
        }) : null,
        code.render(),
      ])
    }
  },
})
