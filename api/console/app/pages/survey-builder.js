// Building a questionnaire (幸福指数问卷): title, the communities it opens to,
// its window, and questions of the four kinds (single, multiple, scale 1-5
// with its weight in the index, free text). POST /admin/surveys; the API's
// field errors land under their fields, a question's named by its number.

import { defineComponent, h, reactive } from 'vue'
import { ElButton, ElInput, ElInputNumber, ElOption, ElSelect, ElSwitch } from 'element-plus'
import { api } from '../api.js'
import { communityOptions } from '../communities.js'
import { QUESTION_KINDS } from '../participation.js'
import { useFormDialog } from '../ui/dialog.js'
import { toIso } from '../ui/format.js'

const PARTS = { kind: '题型', prompt: '题目', options: '选项', weight: '权重' }
const choice = (k) => k === 'single' || k === 'multiple'

export const newQuestion = (kind = 'scale', prompt = '') => reactive({ kind, prompt, options: '', weight: 1, required: true })

// "questions[2].options[1]" -> {index: 2, part: "选项 2"}; null for other fields.
function questionField(field) {
  const m = /^questions\[(\d+)\](?:\.([a-z_]+))?(?:\[(\d+)\])?/.exec(field)
  if (!m) return null
  const part = m[2] ? (PARTS[m[2]] || m[2]) : ''
  return { index: Number(m[1]), part: `${part}${m[3] !== undefined ? ` ${Number(m[3]) + 1}` : ''}` }
}

const lines = (text) => String(text || '').split('\n').map((s) => s.trim()).filter((s) => s)

export function surveyBody(m) {
  return {
    title: m.title,
    description: m.description || undefined,
    community_ids: m.community_ids,
    opens_at: toIso(m.opens_at) ?? null,
    closes_at: toIso(m.closes_at) ?? null,
    questions: m.questions.map((q) => ({
      kind: q.kind,
      prompt: q.prompt,
      options: choice(q.kind) ? lines(q.options) : undefined,
      weight: q.kind === 'scale' ? q.weight ?? 1 : undefined,
      required: q.required,
    })),
  }
}

const QuestionsEditor = defineComponent({
  name: 'QuestionsEditor',
  // errors: {index: message} from the last refusal, shown in that question's box.
  props: { questions: { type: Array, required: true }, errors: { type: Object, default: () => ({}) } },
  setup(props) {
    const move = (i, d) => {
      const qs = props.questions
      const [q] = qs.splice(i, 1)
      qs.splice(i + d, 0, q)
    }
    const row = (q, i) => h('div', { class: ['question', props.errors[i] ? 'has-error' : ''], key: i, 'data-question': i }, [
      h('div', { class: 'question-head' }, [
        h('strong', {}, `第 ${i + 1} 题`),
        h(ElSelect, { modelValue: q.kind, 'onUpdate:modelValue': (v) => { q.kind = v }, class: 'question-kind', 'data-q-field': 'kind' },
          () => Object.entries(QUESTION_KINDS).map(([value, label]) => h(ElOption, { key: value, value, label }))),
        h('span', { class: 'muted small' }, '必答'),
        h(ElSwitch, { modelValue: q.required, 'onUpdate:modelValue': (v) => { q.required = v } }),
        h('span', { class: 'toolbar-gap' }),
        h(ElButton, { size: 'small', text: true, disabled: i === 0, onClick: () => move(i, -1) }, () => '上移'),
        h(ElButton, { size: 'small', text: true, type: 'danger', onClick: () => props.questions.splice(i, 1), 'data-action': 'remove-question' }, () => '删除'),
      ]),
      h(ElInput, { modelValue: q.prompt, 'onUpdate:modelValue': (v) => { q.prompt = v }, placeholder: '题目，如 您对社区环境卫生满意吗', maxlength: 200, 'data-q-field': 'prompt' }),
      choice(q.kind) ? h(ElInput, {
        modelValue: q.options, 'onUpdate:modelValue': (v) => { q.options = v }, type: 'textarea', rows: 3,
        placeholder: '选项，每行一个（2-10 个）', class: 'question-options', 'data-q-field': 'options',
      }) : null,
      props.errors[i] ? h('div', { class: 'question-error', 'data-question-error': i }, props.errors[i]) : null,
      q.kind === 'scale' ? h('div', { class: 'question-weight' }, [
        h('span', { class: 'muted small' }, '计入幸福指数的权重（0-10，0 为不计入）'),
        h(ElInputNumber, { modelValue: q.weight, 'onUpdate:modelValue': (v) => { q.weight = v }, min: 0, max: 10, size: 'small', 'data-q-field': 'weight' }),
      ]) : null,
    ])
    return () => h('div', { class: 'questions' }, [
      ...props.questions.map(row),
      h('div', { class: 'row-actions' }, Object.entries(QUESTION_KINDS).map(([kind, label]) => h(ElButton, {
        key: kind, size: 'small', onClick: () => props.questions.push(newQuestion(kind)), 'data-action': `add-${kind}`,
      }, () => `+ ${label.replace(/（.*）/, '')}`))),
    ])
  },
})

// The builder in a drawer; `communities()` are the admin's.
export function useSurveyBuilder(communities, onDone) {
  const qErrors = reactive({})
  const clearErrors = () => { for (const k of Object.keys(qErrors)) delete qErrors[k] }
  const dialog = useFormDialog({
    name: 'survey',
    title: '新建问卷',
    drawer: true,
    size: '720px',
    fields: [
      { prop: 'title', label: '问卷标题', maxlength: 64, required: true, placeholder: '如 2026年第四季度幸福指数' },
      { prop: 'description', label: '说明', type: 'textarea', maxlength: 500, rows: 2 },
      { prop: 'community_ids', label: '开放社区', type: 'multiselect', required: true, options: () => communityOptions(communities()) },
      { prop: 'opens_at', label: '开始时间', type: 'datetime', required: true, hint: '到时即对这些社区的居民开放' },
      { prop: 'closes_at', label: '截止时间', type: 'datetime', required: true, hint: '最长 366 天' },
      { prop: 'questions', label: '题目', type: 'custom', required: true, wide: true, render: (m) => h(QuestionsEditor, { questions: m.questions, errors: qErrors }) },
    ],
    initial: () => {
      const list = communities()
      return {
        title: '',
        description: '',
        community_ids: list.length === 1 ? [list[0].id] : [],
        opens_at: new Date(),
        closes_at: new Date(Date.now() + 14 * 86400000),
        questions: reactive([newQuestion('scale', '您对社区服务总体满意吗')]),
      }
    },
    submit: async (m) => {
      clearErrors()
      try {
        return await api.post('/admin/surveys', surveyBody(m))
      } catch (err) {
        err.fields = (err.fields || []).map((f) => {
          const q = questionField(f.field)
          if (!q) return f
          const text = `${q.part ? `${q.part}：` : ''}${f.message}`
          qErrors[q.index] = qErrors[q.index] ? `${qErrors[q.index]}；${text}` : text
          return { field: f.field, message: `第 ${q.index + 1} 题${text}` }
        })
        throw err
      }
    },
    submitText: '创建并开放',
    done: (s) => `问卷「${s.title}」已创建`,
    onDone,
  })
  return { ...dialog, open: (model) => { clearErrors(); dialog.open(model) } }
}
