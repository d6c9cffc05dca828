// Progress for what takes a while: a bar for counted work (push deliveries,
// group-buy quantities, the dashboard's per-community figures) and file
// downloads that report bytes as they arrive.

import { defineComponent, h } from 'vue'
import { ElProgress } from 'element-plus'
import { request } from '../api.js'

// done of total as a bar with "done / total" beside it.
export function progressBar(done, total, { status, label } = {}) {
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0
  return h('div', { class: 'progress-cell', 'data-done': done, 'data-total': total }, [
    h(ElProgress, { percentage: pct, status, strokeWidth: 10, showText: false }),
    h('span', { class: 'progress-text' }, label || `${done} / ${total}`),
  ])
}

// A labelled bar for a task in flight; hidden when `total` is 0.
export const TaskProgress = defineComponent({
  name: 'TaskProgress',
  props: { done: { type: Number, default: 0 }, total: { type: Number, default: 0 }, label: { type: String, default: '' } },
  setup(props) {
    return () => (props.total > 0 && props.done < props.total
      ? h('div', { class: 'task-progress', role: 'progressbar', 'aria-valuenow': props.done, 'aria-valuemax': props.total }, [
        h('span', {}, `${props.label} ${props.done} / ${props.total}`),
        h(ElProgress, { percentage: Math.round((props.done / props.total) * 100), strokeWidth: 8, showText: false }),
      ])
      : null)
  },
})

// Downloads an API file (CSV) with the access token, reporting (received, total bytes).
export async function download(path, filename, onProgress = () => {}, accept = 'text/csv') {
  const res = await request('GET', path, { raw: true, headers: { Accept: `${accept}, application/json` } })
  const total = Number(res.headers.get('content-length')) || 0
  const reader = res.body.getReader()
  const chunks = []
  let received = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    received += value.length
    onProgress(received, total)
  }
  const url = URL.createObjectURL(new Blob(chunks, { type: res.headers.get('content-type') || 'application/octet-stream' }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10000)
  return received
}
