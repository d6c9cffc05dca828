// Change the admin's own password; other sessions of the account end.

import { defineComponent, h, reactive } from 'vue'
import { ElCard } from 'element-plus'
import { ApiError, api } from '../api.js'
import { ApiForm } from '../ui/form.js'
import { toast } from '../ui/notify.js'

export const PasswordPage = defineComponent({
  name: 'PasswordPage',
  setup() {
    const m = reactive({ old_password: '', new_password: '', confirm: '' })
    const fields = [
      { prop: 'old_password', label: '原密码', type: 'password', required: true },
      { prop: 'new_password', label: '新密码', type: 'password', required: true, autocomplete: 'new-password', hint: '8-128 个字符' },
      { prop: 'confirm', label: '确认新密码', type: 'password', required: true, autocomplete: 'new-password' },
    ]
    async function submit(x) {
      if (x.confirm !== x.new_password) {
        throw new ApiError(422, 'VALIDATION_FAILED', '两次输入的新密码不一致', { fields: [{ field: 'confirm', message: '两次输入的新密码不一致' }] })
      }
      await api.post('/me/password', { old_password: x.old_password, new_password: x.new_password })
    }
    return () => h('div', { class: 'narrow-page' }, h(ElCard, { shadow: 'never' }, () => h(ApiForm, {
      fields,
      model: m,
      submitText: '修改密码',
      submit,
      onDone: () => {
        toast('密码已修改，其他设备上的登录已退出')
        m.old_password = ''
        m.new_password = ''
        m.confirm = ''
      },
    })))
  },
})
