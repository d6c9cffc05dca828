// A dialog (or a drawer, for long forms) holding an ApiForm: opened with a
// fresh model, closed when the API accepts it.

import { h, reactive, ref } from 'vue'
import { ElDialog, ElDrawer } from 'element-plus'
import { ApiForm } from './form.js'
import { toast } from './notify.js'

// const d = useFormDialog({title, fields, submit, done: '已保存', onDone})
// d.open(initialModel); render d.render() somewhere in the page.
export function useFormDialog(options) {
  const visible = ref(false)
  const state = reactive({ model: {}, title: options.title })
  const formRef = ref(null)

  function open(model = {}, title) {
    state.model = reactive({ ...(options.initial ? options.initial() : {}), ...model })
    state.title = title || options.title
    visible.value = true
    if (formRef.value) formRef.value.clear()
  }

  function render() {
    const form = h(ApiForm, {
      ref: formRef,
      fields: typeof options.fields === 'function' ? options.fields(state.model) : options.fields,
      model: state.model,
      submit: options.submit,
      submitText: options.submitText || '保存',
      submitType: options.submitType || 'primary',
      actions: options.actions || [],
      cancelText: '取消',
      labelWidth: options.labelWidth || '110px',
      labelPosition: options.labelPosition || 'right',
      onCancel: () => { visible.value = false },
      onDone: (result) => {
        visible.value = false
        if (options.done) toast(typeof options.done === 'function' ? options.done(result) : options.done)
        if (options.onDone) options.onDone(result)
      },
    }, options.slots || undefined)
    const Shell = options.drawer ? ElDrawer : ElDialog
    return h(Shell, {
      modelValue: visible.value,
      'onUpdate:modelValue': (v) => { visible.value = v },
      title: state.title,
      width: options.drawer ? undefined : (window.innerWidth < 620 ? '94%' : (options.width || '560px')),
      size: options.drawer ? (window.innerWidth < 720 ? '100%' : (options.size || '640px')) : undefined,
      destroyOnClose: true,
      closeOnClickModal: false,
      class: 'form-dialog',
      'data-dialog': options.name || '',
    }, () => form)
  }

  return { open, render, visible, state, close: () => { visible.value = false } }
}
