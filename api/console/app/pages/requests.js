// The requests board (诉求): the admin's communities' requests with their
// deadlines (overdue ones flagged), filters kept in the URL, one request's
// timeline in a drawer, and dispatch (交办) to a department, the grid or the
// community itself.

import { defineComponent, h, onMounted, reactive, ref } from 'vue'
import { ElButton, ElDrawer, ElTag, ElTimeline, ElTimelineItem } from 'element-plus'
import { allPages, api } from '../api.js'
import { communityOptions, myCommunities } from '../communities.js'
import { useFormDialog } from '../ui/dialog.js'
import { LABELS, fmtTime, optionsOf, statusTag } from '../ui/format.js'
import { showError } from '../ui/notify.js'
import { PagedList } from '../ui/paged-list.js'

const LEVELS = { department: '职能部门', grid: '网格', community: '社区' }
const EVENTS = {
  submitted: '提交', assigned: '交办', accepted: '受理', transferred: '转办', returned: '退回', supplemented: '补充材料',
  urged: '催办', overdue: '超时', escalated: '升级督办', extension_requested: '申请延期', extension_approved: '同意延期',
  extension_rejected: '驳回延期', resolved: '办结', rated: '评价', auto_rated: '自动好评', reopened: '重新打开', withdrawn: '撤回',
}
const BOOL = [{ value: 'true', label: '是' }, { value: 'false', label: '否' }]

// The deadline the request is running against now.
function due(r) {
  if (r.status === 'submitted') return r.assign_due_at
  if (r.status === 'assigned') return r.accept_due_at || r.resolve_due_at
  if (['accepted', 'returned'].includes(r.status)) return r.resolve_due_at
  return null
}

export const RequestsPage = defineComponent({
  name: 'RequestsPage',
  setup() {
    const list = ref(null)
    const communities = ref([])
    const departments = ref([])
    const detail = reactive({ open: false, r: null })
    onMounted(async () => {
      communities.value = await myCommunities()
      departments.value = await allPages('/departments', {}, { maxPages: 5 }).catch(() => [])
    })

    async function show(id) {
      try {
        detail.r = await api.get(`/requests/${id}`)
        detail.open = true
      } catch (err) {
        showError(err)
      }
    }

    const assign = useFormDialog({
      name: 'assign',
      title: '交办诉求',
      fields: [
        { prop: 'level', label: '交办给', type: 'select', required: true, options: optionsOf(LEVELS) },
        { prop: 'department_id', label: '职能部门', type: 'select', visible: (m) => m.level === 'department', options: () => departments.value.map((d) => ({ value: d.id, label: d.name })), hint: '不选则交给该类别的默认部门' },
        { prop: 'note', label: '交办说明', type: 'textarea', maxlength: 200, rows: 3 },
      ],
      initial: () => ({ level: 'department', department_id: null, note: '' }),
      submit: (m) => api.post(`/requests/${m.id}/assign`, {
        level: m.level, department_id: m.level === 'department' ? m.department_id || undefined : undefined, note: m.note || undefined,
      }),
      done: '已交办',
      onDone: (r) => { list.value.reload(); if (detail.open) detail.r = r },
    })

    const drawer = () => h(ElDrawer, {
      modelValue: detail.open, 'onUpdate:modelValue': (v) => { detail.open = v }, title: detail.r ? `诉求 #${detail.r.id}` : '', size: window.innerWidth < 720 ? '100%' : '560px', 'data-dialog': 'request',
    }, () => (detail.r ? [
      h('p', {}, [statusTag(LABELS.request, detail.r.status), ' ', detail.r.category_name, ' · ', detail.r.community_name, ' · ', detail.r.address]),
      h('p', { class: 'request-content' }, detail.r.content),
      detail.r.reporter ? h('p', { class: 'muted' }, `反映人：${detail.r.reporter.name} ${detail.r.reporter.phone || ''}`) : h('p', { class: 'muted' }, '匿名反映'),
      h('p', { class: 'muted' }, `交办期限 ${fmtTime(detail.r.assign_due_at)} · 办结期限 ${fmtTime(detail.r.resolve_due_at)}`),
      h(ElTimeline, { class: 'timeline' }, () => (detail.r.timeline || []).map((e) => h(ElTimelineItem, { key: e.id, timestamp: fmtTime(e.created_at), 'data-event': e.kind },
        () => `${EVENTS[e.kind] || e.kind}${e.actor ? `（${e.actor.name}）` : ''}${e.note ? `：${e.note}` : ''}`))),
      detail.r.status === 'submitted' ? h(ElButton, { type: 'primary', onClick: () => assign.open({ id: detail.r.id }), 'data-action': 'assign' }, () => '交办') : null,
    ] : null))

    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        fetch: (q) => api.get('/admin/requests', q),
        filters: [
          { key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' },
          { key: 'status', label: '状态', type: 'select', options: optionsOf(LABELS.request), placeholder: '全部状态' },
          { key: 'department_id', label: '部门', type: 'select', options: () => departments.value.map((d) => ({ value: d.id, label: d.name })), placeholder: '全部部门' },
          { key: 'overdue', label: '超时', type: 'select', options: BOOL, placeholder: '是否超时' },
          { key: 'escalated', label: '督办', type: 'select', options: BOOL, placeholder: '是否升级督办' },
          { key: 'sort', label: '排序', type: 'select', options: [{ value: 'newest', label: '最新提交' }, { value: 'due', label: '期限最近' }], placeholder: '最新提交' },
        ],
        columns: [
          { label: '编号', prop: 'id', width: 80 },
          { label: '类别', prop: 'category_name', width: 110 },
          { label: '内容', minWidth: 200, ellipsis: true, render: (r) => h('span', { 'data-request': r.id }, r.content) },
          { label: '地点', minWidth: 140, ellipsis: true, render: (r) => `${r.community_name} ${r.building_name || r.component_name || ''}` },
          { label: '状态', width: 90, render: (r) => statusTag(LABELS.request, r.status) },
          { label: '承办', minWidth: 110, render: (r) => r.department_name || LEVELS[r.level] || '—' },
          {
            label: '期限', width: 170, render: (r) => h('div', {}, [
              h('span', {}, fmtTime(due(r))),
              r.overdue ? h(ElTag, { type: 'danger', size: 'small', class: 'pin', 'data-overdue': r.id, disableTransitions: true }, () => '已超时') : null,
              r.urgency === 'urgent' ? h(ElTag, { type: 'warning', size: 'small', disableTransitions: true }, () => '紧急') : null,
            ]),
          },
          { label: '催办', width: 70, render: (r) => String(r.urge_count) },
          { label: '提交时间', width: 150, render: (r) => fmtTime(r.submitted_at) },
          {
            label: '操作', width: 150, fixed: 'right',
            render: (r) => h('div', { class: 'row-actions' }, [
              h(ElButton, { size: 'small', onClick: () => show(r.id), 'data-action': 'view' }, () => '详情'),
              r.status === 'submitted' ? h(ElButton, { size: 'small', type: 'primary', onClick: () => assign.open({ id: r.id }), 'data-action': 'assign' }, () => '交办') : null,
            ]),
          },
        ],
      }),
      drawer(),
      assign.render(),
    ])
  },
})
