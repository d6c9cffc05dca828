// Destructive actions ask first; the action runs only after "确定", and its
// failure is shown rather than lost.

import { ElMessageBox } from 'element-plus'
import { showError, toast } from './notify.js'

// Answers the action's result, or undefined when the user cancelled or it failed.
export async function confirmAction({ title = '请确认', message, confirmText = '确定', danger = true, done, action }) {
  try {
    await ElMessageBox.confirm(message, title, {
      type: danger ? 'warning' : 'info',
      confirmButtonText: confirmText,
      cancelButtonText: '取消',
      confirmButtonClass: danger ? 'el-button--danger' : '',
      customClass: 'confirm-box',
    })
  } catch {
    return undefined
  }
  try {
    const result = await action()
    if (done) toast(done)
    return result
  } catch (err) {
    showError(err)
    return undefined
  }
}
