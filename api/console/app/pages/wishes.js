// The wish wall (微心愿): the review queue (GET /admin/wishes, `pending` by
// default; any status or all of them by the filter), approve onto the wall,
// or reject with a reason the wisher is told.

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElButton } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { P_LABELS, WISH_CATEGORIES } from '../participation.js'
import { useFormDialog } from '../ui/dialog.js'
import { fmtTime, optionsOf, statusTag } from '../ui/format.js'
import { showError, toast } from '../ui/notify.js'
import { PagedList } from '../ui/paged-list.js'

const STATUS_OPTIONS = [...optionsOf(P_LABELS.wish), { value: 'all', label: '全部状态' }]

export const WishesPage = defineComponent({
  name: 'WishesPage',
  setup() {
    const list = ref(null)
    const communities = ref([])
    const busy = ref(0)
    onMounted(async () => { communities.value = await myCommunities() })

    async function approve(w) {
      busy.value = w.id
      try {
        await api.post(`/admin/wishes/${w.id}/approve`)
        toast(`「${w.title}」已上心愿墙`)
        list.value.reload()
      } catch (err) {
        showError(err)
      } finally {
        busy.value = 0
      }
    }

    const reject = useFormDialog({
      name: 'reject-wish',
      title: '驳回心愿',
      fields: [{ prop: 'reason', label: '驳回原因', type: 'textarea', required: true, maxlength: 200, rows: 3, hint: '将通知居民' }],
      initial: () => ({ reason: '' }),
      submit: (m) => api.post(`/admin/wishes/${m.id}/reject`, { reason: m.reason }),
      submitText: '驳回',
      submitType: 'danger',
      done: '已驳回',
      onDone: () => list.value.reload(),
    })

    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        defaults: { status: 'pending' },
        fetch: (q) => api.get('/admin/wishes', { ...q, status: q.status === 'all' ? undefined : q.status }),
        filters: [
          { key: 'status', label: '状态', type: 'select', options: STATUS_OPTIONS, clearable: false },
          { key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' },
        ],
        emptyText: '没有这个状态的心愿',
        columns: [
          { label: '编号', prop: 'id', width: 70 },
          { label: '心愿', minWidth: 150, render: (w) => h('span', { 'data-wish': w.id }, w.title) },
          { label: '内容', prop: 'content', minWidth: 200, ellipsis: true },
          { label: '类别', width: 100, render: (w) => WISH_CATEGORIES[w.category] || w.category },
          { label: '社区', minWidth: 110, render: (w) => communityName(w.community_id) },
          { label: '状态', width: 120, render: (w) => statusTag(P_LABELS.wish, w.status) },
          { label: '提交时间', width: 150, render: (w) => fmtTime(w.created_at) },
          { label: '驳回原因', minWidth: 120, ellipsis: true, render: (w) => w.reject_reason || '—' },
          {
            label: '操作', width: 140, fixed: 'right',
            render: (w) => (w.status === 'pending' ? h('div', { class: 'row-actions' }, [
              h(ElButton, { size: 'small', type: 'primary', loading: busy.value === w.id, onClick: () => approve(w), 'data-action': 'approve' }, () => '通过'),
              h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => reject.open({ id: w.id }), 'data-action': 'reject' }, () => '驳回'),
            ]) : null),
          },
        ],
      }),
      reject.render(),
    ])
  },
})
