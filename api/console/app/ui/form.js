// A form whose errors come from the API: every entry of a 422's
// `details.fields` appears under its field; anything else (a 409, a field
// the form does not show) in the alert above the fields. Fields are
// described as data, so a page lists what it edits and nothing more.

import { defineComponent, h, reactive, ref } from 'vue'
import {
  ElAlert, ElButton, ElCascader, ElDatePicker, ElForm, ElFormItem, ElInput, ElInputNumber,
  ElOption, ElSelect, ElSwitch,
} from 'element-plus'

// v-model for render functions.
export const model = (obj, key) => ({
  modelValue: obj[key],
  'onUpdate:modelValue': (v) => { obj[key] = v },
})

function control(f, m) {
  const common = {
    ...model(m, f.prop),
    placeholder: f.placeholder,
    disabled: typeof f.disabled === 'function' ? f.disabled(m) : f.disabled,
    ...(f.props || {}),
  }
  switch (f.type) {
    case 'password':
      return h(ElInput, { ...common, type: 'password', showPassword: true, autocomplete: f.autocomplete || 'current-password' })
    case 'textarea':
      return h(ElInput, { ...common, type: 'textarea', rows: f.rows || 4, maxlength: f.maxlength, showWordLimit: !!f.maxlength })
    case 'number':
      return h(ElInputNumber, { ...common, controlsPosition: 'right', valueOnClear: null, step: f.step || 1, precision: f.precision })
    case 'money':
      return h(ElInput, { ...common, inputmode: 'decimal' }, { prefix: () => '¥' })
    case 'select':
    case 'multiselect':
      return h(ElSelect, { ...common, multiple: f.type === 'multiselect', filterable: true, clearable: !f.required },
        () => (typeof f.options === 'function' ? f.options(m) : f.options || []).map((o) => h(ElOption, { key: o.value, label: o.label, value: o.value })))
    case 'cascader':
      return h(ElCascader, { ...common, options: typeof f.options === 'function' ? f.options(m) : f.options, filterable: true, clearable: true, props: { emitPath: false, ...(f.cascader || {}) } })
    case 'datetime':
      return h(ElDatePicker, { ...common, type: 'datetime', format: 'YYYY-MM-DD HH:mm', clearable: true })
    case 'switch':
      return h(ElSwitch, common)
    case 'custom':
      return f.render(m)
    default:
      return h(ElInput, { ...common, maxlength: f.maxlength, autocomplete: f.autocomplete || 'off' })
  }
}

export const ApiForm = defineComponent({
  name: 'ApiForm',
  props: {
    // [{prop, label, type, options, placeholder, required, hint, visible(model), render(model)}]
    fields: { type: Array, required: true },
    model: { type: Object, required: true },
    // (model) => Promise; its ApiError lands on the fields.
    submit: { type: Function, default: null },
    submitText: { type: String, default: '保存' },
    submitType: { type: String, default: 'primary' },
    // More buttons with their own submit functions: [{text, type, submit}].
    actions: { type: Array, default: () => [] },
    cancelText: { type: String, default: '' },
    labelWidth: { type: String, default: '110px' },
    labelPosition: { type: String, default: 'right' },
  },
  emits: ['done', 'cancel'],
  setup(props, { emit, expose, slots }) {
    const errors = reactive({})
    const general = ref('')
    const busy = ref('')

    function fieldOf(name) {
      const known = props.fields.map((f) => f.prop)
      if (known.includes(name)) return name
      const head = String(name).split(/[.[]/)[0]
      return known.includes(head) ? head : null
    }

    function clear() {
      for (const k of Object.keys(errors)) delete errors[k]
      general.value = ''
    }

    // Shows an ApiError on the form; false when it had nothing to show.
    function show(err) {
      const loose = []
      const shown = (prop) => {
        const f = props.fields.find((x) => x.prop === prop)
        return !f.visible || f.visible(props.model)
      }
      for (const f of err.fields || []) {
        const prop = fieldOf(f.field)
        if (prop && shown(prop)) {
          errors[prop] = errors[prop] ? `${errors[prop]}；${f.message}` : f.message
        } else {
          loose.push(`${f.field}：${f.message}`)
        }
      }
      if (loose.length || !(err.fields || []).length) {
        general.value = loose.length ? `${err.message}（${loose.join('；')}）` : err.message
      }
    }

    // Typed controls (selects, numbers, dates) left empty: the API could not
    // even read the body, so they are named here; everything else is the API's word.
    function missing() {
      let any = false
      for (const f of props.fields) {
        if (!f.required || ['text', 'password', 'textarea', 'money', 'custom', undefined].includes(f.type)) continue
        if (f.visible && !f.visible(props.model)) continue
        const v = props.model[f.prop]
        if (v === null || v === undefined || v === '') {
          errors[f.prop] = `请${['number'].includes(f.type) ? '填写' : '选择'}${f.label}`
          any = true
        }
      }
      return any
    }

    async function run(fn = props.submit, key = 'submit') {
      if (!fn || busy.value) return undefined
      clear()
      if (missing()) return undefined
      busy.value = key
      try {
        const result = await fn(props.model)
        emit('done', result)
        return result
      } catch (err) {
        show(err)
        return undefined
      } finally {
        busy.value = ''
      }
    }

    expose({ run, clear, show, errors })

    return () => {
      const items = props.fields
        .filter((f) => !f.visible || f.visible(props.model))
        .map((f) => h(ElFormItem, {
          key: f.prop,
          label: f.label,
          required: !!f.required,
          error: errors[f.prop] || '',
          'data-field': f.prop,
          class: f.wide ? 'wide' : '',
        }, () => [control(f, props.model), f.hint ? h('div', { class: 'field-hint' }, f.hint) : null]))
      const buttons = []
      if (props.submit) {
        buttons.push(h(ElButton, { type: props.submitType, loading: busy.value === 'submit', disabled: !!busy.value && busy.value !== 'submit', onClick: () => run(), 'data-action': 'submit' }, () => props.submitText))
      }
      props.actions.forEach((a, i) => buttons.push(h(ElButton, {
        type: a.type || 'default', loading: busy.value === `a${i}`, disabled: !!busy.value && busy.value !== `a${i}`,
        onClick: () => run(a.submit, `a${i}`), 'data-action': a.name || `action-${i}`,
      }, () => a.text)))
      if (props.cancelText) buttons.push(h(ElButton, { onClick: () => emit('cancel') }, () => props.cancelText))
      return h(ElForm, {
        model: props.model,
        labelWidth: props.labelWidth,
        labelPosition: props.labelPosition,
        class: 'api-form',
        onSubmit: (e) => { e.preventDefault(); run() },
      }, () => [
        general.value ? h(ElAlert, { type: 'error', title: general.value, showIcon: true, closable: false, class: 'form-error' }) : null,
        slots.before ? slots.before() : null,
        ...items,
        slots.after ? slots.after() : null,
        h(ElFormItem, { class: 'form-actions' }, () => buttons),
      ])
    }
  },
})
