// Tool lending (工具借用点): a community's lending points (GET
// /lending-points, add one with its keeper), and for the point picked (its id
// kept in the URL as `point`): its tools with what is free today (add a
// tool), its loans by status or overdue only, handed over and taken back
// with the tool's condition noted, a reservation cancelled after a confirmation.

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElButton, ElTag } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { P_LABELS, ResidentPicker } from '../participation.js'
import { route, setQuery } from '../router.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { model } from '../ui/form.js'
import { fmtTime, optionsOf, statusTag } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

const BOOL = [{ value: 'true', label: '只看逾期' }]

export const LendingPage = defineComponent({
  name: 'LendingPage',
  setup() {
    const points = ref(null)
    const tools = ref(null)
    const loans = ref(null)
    const communities = ref([])
    const names = ref({})
    onMounted(async () => { communities.value = await myCommunities() })
    const pointId = () => route.query.point || ''

    const newPoint = useFormDialog({
      name: 'lending-point',
      title: '新增借用点',
      fields: [
        { prop: 'community_id', label: '社区', type: 'select', required: true, options: () => communityOptions(communities.value) },
        { prop: 'name', label: '名称', required: true, maxlength: 60, placeholder: '如 一号借用点' },
        { prop: 'address', label: '地址', required: true, maxlength: 120 },
        { prop: 'keeper_user_id', label: '管理员', type: 'custom', required: true, render: (m) => h(ResidentPicker, { ...model(m, 'keeper_user_id'), communityId: m.community_id || '' }), hint: '负责交付和收回工具的居民' },
      ],
      initial: () => ({ community_id: communities.value.length === 1 ? communities.value[0].id : null, name: '', address: '', keeper_user_id: null }),
      submit: (m) => api.post('/admin/lending-points', { community_id: m.community_id, name: m.name, address: m.address, keeper_user_id: m.keeper_user_id }),
      done: '已新增',
      onDone: () => points.value.reload(),
    })
    const newTool = useFormDialog({
      name: 'tool',
      title: '添加工具',
      fields: [
        { prop: 'name', label: '工具', required: true, maxlength: 60, placeholder: '如 电钻' },
        { prop: 'description', label: '说明', type: 'textarea', maxlength: 500, rows: 2 },
        { prop: 'quantity', label: '数量', type: 'number', required: true },
      ],
      initial: () => ({ name: '', description: '', quantity: 1 }),
      submit: (m) => api.post(`/lending-points/${pointId()}/tools`, { name: m.name, description: m.description, quantity: m.quantity }),
      done: '已添加',
      onDone: () => tools.value.reload(),
    })
    const afterLoan = () => { loans.value.reload(); tools.value.reload() }
    const handOver = useFormDialog({
      name: 'hand-over',
      title: '交付工具',
      fields: [{ prop: 'condition', label: '交付时状况', type: 'textarea', maxlength: 200, rows: 2, placeholder: '如 完好，附带钻头三个' }],
      initial: () => ({ condition: '' }),
      submit: (m) => api.post(`/loans/${m.id}/hand-over`, { condition: m.condition || undefined }),
      submitText: '确认交付',
      done: '已交付',
      onDone: afterLoan,
    })
    const takeBack = useFormDialog({
      name: 'take-back',
      title: '收回工具',
      fields: [{ prop: 'condition', label: '归还时状况', type: 'textarea', required: true, maxlength: 200, rows: 2, placeholder: '如 完好 / 钻头缺一个' }],
      initial: () => ({ condition: '' }),
      submit: (m) => api.post(`/loans/${m.id}/return`, { condition: m.condition }),
      submitText: '确认归还',
      done: '已归还',
      onDone: afterLoan,
    })
    const cancel = (l) => confirmAction({
      title: '取消预约', message: `取消居民 #${l.resident_id} 对「${l.tool_name}」${l.loan_on} 的预约？`, confirmText: '取消预约', done: '已取消',
      action: () => api.post(`/loans/${l.id}/cancel`),
    }).then((r) => r && afterLoan())

    const pick = (p) => {
      names.value = { ...names.value, [p.id]: p.name }
      setQuery({ point: p.id, t_page: undefined, o_page: undefined, o_status: undefined, o_overdue: undefined })
    }

    const pointSections = () => {
      const id = pointId()
      if (!id) return h('p', { class: 'muted' }, '选择一个借用点，管理它的工具和借用。')
      const name = names.value[id] || `借用点 #${id}`
      return [
        h('h3', { class: 'section-title', 'data-point-title': id }, `${name}：工具`),
        h(PagedList, {
          key: `tools-${id}`,
          ref: tools,
          prefix: 't_',
          fetch: (q) => api.get(`/lending-points/${id}/tools`, q),
          columns: [
            { label: '工具', minWidth: 140, render: (t) => h('span', { 'data-tool': t.id }, t.name) },
            { label: '说明', prop: 'description', minWidth: 180, ellipsis: true },
            { label: '今日可借 / 总数', width: 140, render: (t) => h('span', { 'data-available': t.id }, `${t.available} / ${t.quantity}`) },
          ],
        }, { toolbar: () => h(ElButton, { type: 'primary', onClick: () => newTool.open(), 'data-action': 'create-tool' }, () => '添加工具') }),
        h('h3', { class: 'section-title' }, `${name}：借用记录`),
        h(PagedList, {
          key: `loans-${id}`,
          ref: loans,
          prefix: 'o_',
          fetch: (q) => api.get(`/lending-points/${id}/loans`, q),
          filters: [
            { key: 'status', label: '状态', type: 'select', options: optionsOf(P_LABELS.loan), placeholder: '全部状态' },
            { key: 'overdue', label: '逾期', type: 'select', options: BOOL, placeholder: '逾期' },
          ],
          columns: [
            { label: '编号', prop: 'id', width: 70 },
            { label: '工具', minWidth: 120, render: (l) => h('span', { 'data-loan': l.id }, l.tool_name) },
            { label: '居民', width: 90, render: (l) => `#${l.resident_id}` },
            { label: '借用日', width: 110, prop: 'loan_on' },
            { label: '应还日', width: 150, render: (l) => h('span', {}, [l.due_on, l.overdue ? h(ElTag, { type: 'danger', size: 'small', class: 'pin', disableTransitions: true, 'data-overdue': l.id }, () => '逾期') : null]) },
            { label: '状态', width: 90, render: (l) => statusTag(P_LABELS.loan, l.status) },
            { label: '交付', minWidth: 150, render: (l) => (l.handed_over_at ? `${fmtTime(l.handed_over_at)} ${l.handover_condition || ''}` : '—') },
            { label: '归还', minWidth: 150, render: (l) => (l.returned_at ? `${fmtTime(l.returned_at)} ${l.return_condition || ''}` : '—') },
            {
              label: '操作', width: 170, fixed: 'right',
              render: (l) => h('div', { class: 'row-actions' }, [
                l.status === 'reserved' ? h(ElButton, { size: 'small', type: 'primary', onClick: () => handOver.open({ id: l.id }), 'data-action': 'hand-over' }, () => '交付') : null,
                l.status === 'reserved' ? h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => cancel(l), 'data-action': 'cancel' }, () => '取消') : null,
                l.status === 'lent' ? h(ElButton, { size: 'small', type: 'primary', onClick: () => takeBack.open({ id: l.id }), 'data-action': 'take-back' }, () => '归还') : null,
              ]),
            },
          ],
        }),
      ]
    }

    return () => h('div', {}, [
      h(PagedList, {
        ref: points,
        prefix: 'p_',
        fetch: async (q) => {
          const res = await api.get('/lending-points', q)
          names.value = { ...names.value, ...Object.fromEntries(res.items.map((p) => [p.id, p.name])) }
          return res
        },
        filters: [{ key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' }],
        columns: [
          { label: '借用点', minWidth: 140, render: (p) => h('span', { 'data-point': p.id }, p.name) },
          { label: '地址', prop: 'address', minWidth: 160, ellipsis: true },
          { label: '社区', minWidth: 110, render: (p) => communityName(p.community_id) },
          { label: '管理员', width: 100, render: (p) => `#${p.keeper_user_id}` },
          {
            label: '操作', width: 100, fixed: 'right',
            render: (p) => h(ElButton, { size: 'small', type: String(p.id) === pointId() ? 'primary' : 'default', onClick: () => pick(p), 'data-action': 'manage' }, () => '管理'),
          },
        ],
      }, { toolbar: () => h(ElButton, { onClick: () => newPoint.open(), 'data-action': 'create-point' }, () => '新增借用点') }),
      pointSections(),
      newPoint.render(),
      newTool.render(),
      handOver.render(),
      takeBack.render(),
    ])
  },
})
