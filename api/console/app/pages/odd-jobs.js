// Odd jobs (零工驿站): residents' reports of jobs (GET /admin/job-reports)
// and the jobs open in a community (GET /odd-jobs), a job taken down with a
// reason after a confirming dialog (POST /admin/odd-jobs/{id}/take-down),
// and registering an employer organisation (POST /admin/job-organisations)
// so its account may post jobs.

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElButton } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { P_LABELS, PAY_UNITS, ResidentPicker } from '../participation.js'
import { useFormDialog } from '../ui/dialog.js'
import { model } from '../ui/form.js'
import { fmtTime, fmtWindow, statusTag } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

export const OddJobsPage = defineComponent({
  name: 'OddJobsPage',
  setup() {
    const reports = ref(null)
    const jobs = ref(null)
    const communities = ref([])
    onMounted(async () => { communities.value = await myCommunities() })
    const reload = () => { reports.value.reload(); jobs.value.reload() }

    const takeDown = useFormDialog({
      name: 'take-down',
      title: '下架零工信息',
      fields: [
        { prop: 'title', label: '零工', type: 'custom', render: (m) => h('strong', {}, m.title) },
        { prop: 'reason', label: '下架原因', type: 'textarea', required: true, maxlength: 200, rows: 3, hint: '下架后居民看不到这条信息，发布者会收到原因' },
      ],
      initial: () => ({ reason: '' }),
      submit: (m) => api.post(`/admin/odd-jobs/${m.id}/take-down`, { reason: m.reason }),
      submitText: '确认下架',
      submitType: 'danger',
      done: '已下架',
      onDone: reload,
    })

    const organisation = useFormDialog({
      name: 'organisation',
      title: '登记用工单位',
      fields: [
        { prop: 'community_id', label: '所在社区', type: 'select', required: true, options: () => communityOptions(communities.value) },
        { prop: 'name', label: '单位名称', required: true, maxlength: 60 },
        { prop: 'contact_phone', label: '联系电话', required: true, maxlength: 20 },
        { prop: 'user_id', label: '单位账号', type: 'custom', required: true, render: (m) => h(ResidentPicker, { ...model(m, 'user_id'), communityId: m.community_id || '' }), hint: '用这个居民账号发布零工信息' },
      ],
      initial: () => ({ community_id: communities.value.length === 1 ? communities.value[0].id : null, name: '', contact_phone: '', user_id: null }),
      submit: (m) => api.post('/admin/job-organisations', { community_id: m.community_id, name: m.name, contact_phone: m.contact_phone, user_id: m.user_id }),
      done: (o) => `已登记「${o.name}」（单位编号 ${o.id}）`,
    })

    const takeDownButton = (id, title, status) => (status === 'taken_down' ? null
      : h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => takeDown.open({ id, title }), 'data-action': 'take-down' }, () => '下架'))
    const communityFilter = { key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' }

    return () => h('div', {}, [
      h('h3', { class: 'section-title' }, '居民举报'),
      h(PagedList, {
        ref: reports,
        prefix: 'r_',
        fetch: (q) => api.get('/admin/job-reports', q),
        filters: [communityFilter],
        emptyText: '没有举报',
        columns: [
          { label: '举报时间', width: 150, render: (r) => fmtTime(r.created_at) },
          { label: '零工', minWidth: 160, render: (r) => h('span', { 'data-report-job': r.job_id }, r.job_title) },
          { label: '状态', width: 90, render: (r) => statusTag(P_LABELS.job, r.job_status) },
          { label: '举报原因', prop: 'reason', minWidth: 200, ellipsis: true },
          { label: '举报人', width: 90, render: (r) => `#${r.reporter_id}` },
          { label: '操作', width: 90, fixed: 'right', render: (r) => takeDownButton(r.job_id, r.job_title, r.job_status) },
        ],
      }, { toolbar: () => h(ElButton, { onClick: () => organisation.open(), 'data-action': 'create-organisation' }, () => '登记用工单位') }),
      h('h3', { class: 'section-title' }, '招募中的零工'),
      h(PagedList, {
        ref: jobs,
        prefix: 'j_',
        fetch: (q) => api.get('/odd-jobs', q),
        filters: [communityFilter],
        columns: [
          { label: '编号', prop: 'id', width: 70 },
          { label: '零工', minWidth: 150, render: (j) => h('span', { 'data-job': j.id }, j.title) },
          { label: '报酬', width: 120, render: (j) => `${j.pay} ${PAY_UNITS[j.pay_unit] || j.pay_unit}` },
          { label: '地点', prop: 'place', minWidth: 120, ellipsis: true },
          { label: '时间', minWidth: 200, render: (j) => fmtWindow(j.starts_at, j.ends_at) },
          { label: '录用 / 人数', width: 100, render: (j) => `${j.accepted_count} / ${j.headcount}` },
          { label: '社区', minWidth: 110, render: (j) => j.community_ids.map(communityName).join('、') },
          { label: '联系人', minWidth: 130, render: (j) => `${j.contact_name} ${j.contact_phone}` },
          { label: '状态', width: 90, render: (j) => statusTag(P_LABELS.job, j.status) },
          { label: '操作', width: 90, fixed: 'right', render: (j) => takeDownButton(j.id, j.title, j.status) },
        ],
      }),
      takeDown.render(),
      organisation.render(),
    ])
  },
})
