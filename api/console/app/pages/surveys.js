// Surveys (幸福指数): the admin's questionnaires (GET /admin/surveys), the
// index quarter by quarter (GET /admin/survey-index), a new questionnaire
// from the builder, one survey's results per question and its index in a
// drawer (GET /admin/surveys/{id}/results), the CSV of its answers with a
// download progress, and closing one early after a confirmation.

import { defineComponent, h, onMounted, reactive, ref, watch } from 'vue'
import { ElButton, ElCard, ElDrawer, ElProgress, ElTable, ElTableColumn } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { P_LABELS, QUESTION_KINDS } from '../participation.js'
import { confirmAction } from '../ui/confirm.js'
import { fmtWindow, statusTag } from '../ui/format.js'
import { showError } from '../ui/notify.js'
import { PagedList } from '../ui/paged-list.js'
import { TaskProgress, download } from '../ui/progress.js'
import { route } from '../router.js'
import { useSurveyBuilder } from './survey-builder.js'

const pct = (n, of) => (of > 0 ? Math.round((n / of) * 100) : 0)

function questionResult(q) {
  const head = h('div', { class: 'card-header' }, [h('strong', {}, `${q.position + 1}. ${q.prompt}`), h('span', { class: 'muted small' }, `${QUESTION_KINDS[q.kind] || q.kind} · ${q.answered} 人作答`)])
  let body
  if (q.kind === 'scale') {
    body = [
      h('p', { 'data-mean': q.question_id }, `平均 ${q.mean ?? '—'} 分${q.weight ? `（权重 ${q.weight}）` : '（不计入指数）'}`),
      ...q.distribution.map((n, i) => h('div', { class: 'bar-row', key: i }, [h('span', { class: 'bar-label' }, `${i + 1} 分`), h(ElProgress, { percentage: pct(n, q.answered), strokeWidth: 12, format: () => `${n} 人` })])),
    ]
  } else if (q.kind === 'text') {
    body = [h('p', { class: 'muted' }, '填空题的回答见导出的 CSV')]
  } else {
    body = q.options.map((o) => h('div', { class: 'bar-row', key: o.option }, [h('span', { class: 'bar-label' }, o.option), h(ElProgress, { percentage: pct(o.count, q.answered), strokeWidth: 12, format: () => `${o.count} 人` })]))
  }
  return h(ElCard, { shadow: 'never', class: 'section', key: q.question_id, 'data-result': q.question_id }, { header: () => head, default: () => body })
}

export const SurveysPage = defineComponent({
  name: 'SurveysPage',
  setup() {
    const list = ref(null)
    const communities = ref([])
    const trend = ref(null)
    const results = reactive({ open: false, r: null, survey: null })
    const progress = reactive({ done: 0, total: 0 })
    const loadTrend = () => api.get('/admin/survey-index', { community_id: route.query.community_id || undefined })
      .then((t) => { trend.value = t }).catch(() => { trend.value = null })
    onMounted(async () => { communities.value = await myCommunities() })
    watch(() => route.query.community_id, loadTrend, { immediate: true })
    const builder = useSurveyBuilder(() => communities.value, () => list.value.reload())

    async function show(s) {
      try {
        results.r = await api.get(`/admin/surveys/${s.id}/results`)
        results.survey = s
        results.open = true
      } catch (err) {
        showError(err)
      }
    }
    async function exportCsv(s) {
      progress.done = 0
      progress.total = 1
      try {
        await download(`/admin/surveys/${s.id}/export.csv`, `问卷-${s.id}.csv`, (received, total) => {
          progress.total = total || received + 1
          progress.done = received
        })
      } catch (err) {
        showError(err)
      } finally {
        progress.total = 0
      }
    }
    const close = (s) => confirmAction({
      title: '结束问卷', message: `现在结束「${s.title}」？结束后居民不能再填写。`, confirmText: '结束', done: '已结束',
      action: () => api.post(`/admin/surveys/${s.id}/close`),
    }).then((r) => r && list.value.reload())

    const drawer = () => h(ElDrawer, {
      modelValue: results.open, 'onUpdate:modelValue': (v) => { results.open = v }, size: window.innerWidth < 720 ? '100%' : '640px',
      title: results.r ? `结果：${results.r.title}` : '', 'data-dialog': 'survey-results',
    }, () => (results.r ? [
      h('p', { 'data-index': results.r.survey_id }, [
        h('strong', {}, `幸福指数 ${results.r.index ?? '—'}`),
        ` · ${results.r.respondents} 人参与（其中线下 ${results.r.offline_respondents} 人）· ${results.r.quarter}`,
      ]),
      results.r.communities.length > 1 ? h(ElTable, { data: results.r.communities, border: true, size: 'small', class: 'section' }, () => [
        h(ElTableColumn, { label: '社区' }, { default: ({ row }) => communityName(row.community_id) }),
        h(ElTableColumn, { label: '参与人数', prop: 'respondents', width: 100 }),
        h(ElTableColumn, { label: '幸福指数', width: 100 }, { default: ({ row }) => row.index ?? '—' }),
      ]) : null,
      ...results.r.questions.map(questionResult),
      h(ElButton, { onClick: () => exportCsv(results.survey), 'data-action': 'export' }, () => '导出 CSV'),
    ] : null))

    const trendCard = () => (trend.value && trend.value.quarters.length ? h(ElCard, { shadow: 'never', class: 'section', header: '幸福指数（按季度）' }, () => h('div', { class: 'row-actions' },
      trend.value.quarters.map((q) => h('span', { key: q.quarter, class: 'quarter', 'data-quarter': q.quarter },
        `${q.quarter}：${q.index ?? '—'}${q.change ? `（${q.change.startsWith('-') ? '' : '+'}${q.change}）` : ''} · ${q.respondents} 人`)))) : null)

    return () => h('div', {}, [
      trendCard(),
      h(TaskProgress, { done: progress.done, total: progress.total, label: '正在导出' }),
      h(PagedList, {
        ref: list,
        fetch: (q) => api.get('/admin/surveys', q),
        filters: [{ key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' }],
        columns: [
          { label: '编号', prop: 'id', width: 70 },
          { label: '问卷', minWidth: 180, render: (s) => h('span', { 'data-survey': s.id }, s.title) },
          { label: '季度', prop: 'quarter', width: 90 },
          { label: '开放社区', minWidth: 130, ellipsis: true, render: (s) => s.community_ids.map(communityName).join('、') },
          { label: '填写期', minWidth: 220, render: (s) => fmtWindow(s.opens_at, s.closes_at) },
          { label: '题数', width: 70, render: (s) => String(s.questions.length) },
          { label: '状态', width: 90, render: (s) => statusTag(P_LABELS.survey, s.status) },
          {
            label: '操作', width: 210, fixed: 'right',
            render: (s) => h('div', { class: 'row-actions' }, [
              h(ElButton, { size: 'small', onClick: () => show(s), 'data-action': 'results' }, () => '结果'),
              h(ElButton, { size: 'small', onClick: () => exportCsv(s), 'data-action': 'export' }, () => '导出'),
              s.status !== 'closed' ? h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => close(s), 'data-action': 'close' }, () => '结束') : null,
            ]),
          },
        ],
      }, { toolbar: () => h(ElButton, { type: 'primary', onClick: () => builder.open(), 'data-action': 'create-survey' }, () => '新建问卷') }),
      drawer(),
      builder.render(),
    ])
  },
})
