// Messages to the user: success toasts, and errors with the API's message
// (and its request id, for support).

import { ElMessage } from 'element-plus'

export function toast(message) {
  ElMessage({ type: 'success', message, grouping: true })
}

export function showError(err) {
  if (!err) return
  const id = err.requestId ? `（请求编号 ${err.requestId}）` : ''
  ElMessage({ type: 'error', message: `${err.message || '操作失败'}${id}`, grouping: true, duration: 5000 })
}
