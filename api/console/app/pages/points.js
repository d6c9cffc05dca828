// Volunteer points (积分): one community's rule book (GET /admin/points/rules:
// edit an item's points and caps, add an item, switch one off after a
// confirmation), awarding a resident for a service (POST /points/awards),
// the ledger with reversals, the community's totals and this month's top ten.

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElButton, ElCard, ElCol, ElRow, ElStatistic, ElTag } from 'element-plus'
import { api } from '../api.js'
import { myCommunities } from '../communities.js'
import { ENTRY_SOURCES, P_LABELS, ResidentPicker, communitySelect, currentCommunity } from '../participation.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { model } from '../ui/form.js'
import { fmtTime, statusTag } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

const cap = (v) => (v === null || v === undefined ? '不限' : String(v))
const ruleFields = [
  { prop: 'class', label: '大类', required: true, maxlength: 32, placeholder: '如 志愿服务' },
  { prop: 'name', label: '项目', required: true, maxlength: 60 },
  { prop: 'points', label: '积分', type: 'number', required: true, hint: '每次 1-10000 分' },
  { prop: 'daily_cap', label: '每日上限', type: 'number', hint: '一位居民每天此项最多得分；不填为不限' },
  { prop: 'monthly_cap', label: '每月上限', type: 'number', hint: '一位居民每月此项最多得分；不填为不限' },
]
const nullable = (v) => (v === undefined || v === '' ? null : v)

export const PointsPage = defineComponent({
  name: 'PointsPage',
  setup() {
    const communities = ref(null)
    const rules = ref([])
    const totals = ref(null)
    const rank = ref(null)
    const rulesList = ref(null)
    const ledger = ref(null)
    const cid = () => currentCommunity(communities.value)

    async function loadFigures() {
      const id = cid()
      if (!id) return
      const [t, r] = await Promise.all([
        api.get('/admin/points/totals', { community_id: id }).catch(() => []),
        api.get(`/communities/${id}/points/rank`).catch(() => null),
      ])
      if (id !== cid()) return
      totals.value = t[0] || null
      rank.value = r
    }
    onMounted(async () => {
      communities.value = await myCommunities()
      loadFigures()
    })
    const refresh = () => { rulesList.value && rulesList.value.reload(); ledger.value && ledger.value.reload(); loadFigures() }

    const edit = useFormDialog({
      name: 'rule',
      title: '编辑积分项目',
      fields: ruleFields,
      submit: (m) => (m.id
        ? api.patch(`/admin/points/rules/${m.id}`, { class: m.class, name: m.name, points: m.points, daily_cap: nullable(m.daily_cap), monthly_cap: nullable(m.monthly_cap) })
        : api.post('/admin/points/rules', { community_id: Number(cid()), class: m.class, name: m.name, points: m.points, daily_cap: nullable(m.daily_cap), monthly_cap: nullable(m.monthly_cap) })),
      done: '已保存',
      onDone: () => rulesList.value.reload(),
    })
    const toggle = (r) => (r.active
      ? confirmAction({
        title: '停用积分项目', message: `停用「${r.class} · ${r.name}」？停用后不能再按此项发放积分。`, confirmText: '停用', done: '已停用',
        action: () => api.patch(`/admin/points/rules/${r.id}`, { active: false }),
      })
      : confirmAction({ title: '启用积分项目', message: `启用「${r.name}」？`, confirmText: '启用', danger: false, done: '已启用', action: () => api.patch(`/admin/points/rules/${r.id}`, { active: true }) })
    ).then((x) => x && rulesList.value.reload())

    const award = useFormDialog({
      name: 'award',
      title: '发放积分',
      fields: [
        { prop: 'user_id', label: '居民', type: 'custom', required: true, render: (m) => h(ResidentPicker, { ...model(m, 'user_id'), communityId: cid() }), hint: '本社区已绑定楼栋的居民' },
        { prop: 'rule_id', label: '积分项目', type: 'select', required: true, options: () => rules.value.filter((r) => r.active).map((r) => ({ value: r.id, label: `${r.class} · ${r.name}（${r.points} 分）` })) },
        { prop: 'hours', label: '服务时长', type: 'number', step: 0.25, precision: 2, hint: '小时，0-24，记入志愿时长' },
        { prop: 'note', label: '备注', type: 'textarea', maxlength: 200, rows: 2 },
      ],
      initial: () => ({ user_id: null, rule_id: null, hours: 1, note: '' }),
      submit: (m) => api.post('/points/awards', { user_id: m.user_id, rule_id: m.rule_id, hours: m.hours ?? 0, note: m.note }),
      done: (e) => `已发放 ${e.points} 积分`,
      onDone: refresh,
    })

    const reverse = useFormDialog({
      name: 'reverse',
      title: '撤销积分记录',
      fields: [{ prop: 'reason', label: '撤销原因', type: 'textarea', required: true, maxlength: 200, rows: 3 }],
      initial: () => ({ reason: '' }),
      submit: (m) => api.post(`/admin/points/entries/${m.id}/reverse`, { reason: m.reason }),
      submitText: '撤销',
      submitType: 'danger',
      done: '已撤销',
      onDone: refresh,
    })

    const figures = () => {
      const t = totals.value
      const cards = [['累计发放', t && t.issued], ['已兑换', t && t.spent], ['结余', t && t.outstanding], ['持分居民', t && t.holders]]
      return h(ElRow, { gutter: 12, class: 'stat-cards', 'data-points-totals': cid() }, () => cards.map(([title, v]) => h(ElCol, { key: title, xs: 12, sm: 6 },
        () => h(ElCard, { shadow: 'never', class: 'stat-card' }, () => h(ElStatistic, { title, value: v ?? 0 })))))
    }
    const top = () => (rank.value && rank.value.top_month.length ? h(ElCard, { shadow: 'never', class: 'section', header: '本月积分榜' }, () => h('ol', { class: 'rank-list' },
      rank.value.top_month.map((e) => h('li', { key: e.user_id }, `${e.nickname}：${e.points} 分，${e.hours} 小时`)))) : null)

    return () => {
      if (!communities.value) return h('div', { class: 'muted' }, '加载中…')
      const id = cid()
      const classes = [...new Set(rules.value.map((r) => r.class))].map((c) => ({ value: c, label: c }))
      return h('div', {}, [
        h('div', { class: 'toolbar' }, [
          communitySelect(communities.value, { reset: ['page', 'class', 'l_page', 'l_user_id'] }),
          h('span', { class: 'toolbar-gap' }),
          h(ElButton, { type: 'primary', onClick: () => award.open(), 'data-action': 'award' }, () => '发放积分'),
        ]),
        figures(),
        top(),
        h('h3', { class: 'section-title' }, '积分细则'),
        h(PagedList, {
          key: `rules-${id}`,
          ref: rulesList,
          fetch: async (q) => {
            const all = await api.get('/admin/points/rules', { community_id: id })
            rules.value = all
            const shown = q.class ? all.filter((r) => r.class === q.class) : all
            return { items: shown.slice((q.page - 1) * q.page_size, q.page * q.page_size), total: shown.length }
          },
          filters: [{ key: 'class', label: '大类', type: 'select', options: () => classes, placeholder: '全部大类' }],
          columns: [
            { label: '大类', prop: 'class', width: 130 },
            { label: '项目', minWidth: 180, render: (r) => h('span', { 'data-rule': r.id }, r.name) },
            { label: '积分', width: 80, render: (r) => h('span', { 'data-rule-points': r.id }, String(r.points)) },
            { label: '每日上限', width: 100, render: (r) => cap(r.daily_cap) },
            { label: '每月上限', width: 100, render: (r) => h('span', { 'data-rule-monthly': r.id }, cap(r.monthly_cap)) },
            { label: '状态', width: 80, render: (r) => h(ElTag, { type: r.active ? 'success' : 'info', disableTransitions: true }, () => (r.active ? '启用' : '停用')) },
            {
              label: '操作', width: 150, fixed: 'right',
              render: (r) => h('div', { class: 'row-actions' }, [
                h(ElButton, { size: 'small', onClick: () => edit.open({ ...r }, '编辑积分项目'), 'data-action': 'edit' }, () => '编辑'),
                h(ElButton, { size: 'small', type: r.active ? 'danger' : 'primary', plain: true, onClick: () => toggle(r), 'data-action': r.active ? 'disable' : 'enable' }, () => (r.active ? '停用' : '启用')),
              ]),
            },
          ],
        }, { toolbar: () => h(ElButton, { onClick: () => edit.open({ class: '', name: '', points: 1, daily_cap: null, monthly_cap: null }, '新增积分项目'), 'data-action': 'create-rule' }, () => '新增项目') }),
        h('h3', { class: 'section-title' }, '积分明细'),
        h(PagedList, {
          key: `ledger-${id}`,
          ref: ledger,
          prefix: 'l_',
          fetch: (q) => api.get('/admin/points/ledger', { ...q, community_id: id }),
          filters: [{ key: 'user_id', label: '居民编号', type: 'text', placeholder: '居民编号' }],
          columns: [
            { label: '时间', width: 150, render: (e) => fmtTime(e.created_at) },
            { label: '居民', width: 90, render: (e) => h('span', { 'data-entry-user': e.user_id }, `#${e.user_id}`) },
            { label: '类型', width: 80, render: (e) => statusTag(P_LABELS.entry, e.kind) },
            { label: '来源', width: 100, render: (e) => ENTRY_SOURCES[e.source] || e.source },
            { label: '项目', minWidth: 160, render: (e) => e.rule_name || '—' },
            { label: '积分', width: 80, render: (e) => h('span', { 'data-entry': e.id }, e.points > 0 ? `+${e.points}` : String(e.points)) },
            { label: '时长', width: 80, render: (e) => (e.minutes ? `${(e.minutes / 60).toFixed(2)} 时` : '—') },
            { label: '备注', prop: 'note', minWidth: 140, ellipsis: true },
            {
              label: '操作', width: 90, fixed: 'right',
              render: (e) => (['earn', 'spend'].includes(e.kind) ? h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => reverse.open({ id: e.id }), 'data-action': 'reverse' }, () => '撤销') : null),
            },
          ],
        }),
        edit.render(),
        award.render(),
        reverse.render(),
      ])
    }
  },
})
