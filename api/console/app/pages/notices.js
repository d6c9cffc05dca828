// Community notices: the admin's list with read counts and push progress
// (refreshed while deliveries are pending), and the composer with a building
// picker over the community's grids; save as draft, schedule, publish,
// withdraw.

import { defineComponent, h, onMounted, ref, watch } from 'vue'
import { ElButton, ElTag, ElTree } from 'element-plus'
import { api } from '../api.js'
import { route } from '../router.js'
import { communityDetail, communityName, communityOptions, myCommunities } from '../communities.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { LABELS, NOTICE_KINDS, OUTAGE_KINDS, fmtTime, fmtWindow, optionsOf, statusTag, toIso } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'
import { progressBar } from '../ui/progress.js'

// Buildings grouped by grid, ticked in a tree; none ticked = the whole community.
const BuildingPicker = defineComponent({
  name: 'BuildingPicker',
  props: { communityId: { type: [Number, String], default: null }, modelValue: { type: Array, default: () => [] } },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const grids = ref([])
    const error = ref('')
    const tree = ref(null)
    async function load() {
      grids.value = []
      error.value = ''
      if (!props.communityId) return
      try {
        const c = await communityDetail(props.communityId)
        grids.value = c.grids.map((g) => ({
          key: `g${g.id}`, label: g.name,
          children: g.buildings.map((b) => ({ key: `b${b.id}`, id: b.id, label: `${b.name}（${b.households} 户）` })),
        }))
      } catch (err) {
        error.value = err.message
      }
    }
    watch(() => props.communityId, load, { immediate: true })
    const onCheck = (_, { checkedNodes }) => emit('update:modelValue', checkedNodes.filter((n) => n.id).map((n) => n.id))
    return () => {
      if (!props.communityId) return h('div', { class: 'muted' }, '请先选择社区')
      if (error.value) return h('div', { class: 'form-error-text' }, error.value)
      return h('div', { class: 'building-picker' }, [
        h('div', { class: 'muted small' }, props.modelValue.length ? `已选 ${props.modelValue.length} 栋楼` : '未选择楼栋：通知全社区'),
        h(ElTree, {
          ref: tree,
          data: grids.value,
          nodeKey: 'key',
          showCheckbox: true,
          checkOnClickNode: true,
          defaultExpandAll: true,
          defaultCheckedKeys: props.modelValue.map((id) => `b${id}`),
          emptyText: '该社区还没有楼栋',
          onCheck,
          renderContent: (_h, { data }) => h('span', { 'data-building': data.id || undefined, 'data-grid': data.id ? undefined : data.key }, data.label),
        }),
      ])
    }
  },
})

const kindOptions = Object.entries(NOTICE_KINDS).map(([value, label]) => ({ value, label }))

function body(m) {
  return {
    community_id: m.community_id,
    kind: m.kind,
    title: m.title,
    content: m.content,
    building_ids: m.building_ids,
    starts_at: toIso(m.starts_at),
    ends_at: toIso(m.ends_at),
    publish_at: toIso(m.publish_at),
    pinned: m.pinned,
    push: m.push,
  }
}

async function save(m) {
  if (m.id) return api.patch(`/admin/notices/${m.id}`, body(m))
  const created = await api.post('/admin/notices', body(m))
  m.id = created.id
  return created
}

export const NoticesPage = defineComponent({
  name: 'NoticesPage',
  setup() {
    const list = ref(null)
    const communities = ref([])
    onMounted(async () => { communities.value = await myCommunities() })

    const fields = [
      { prop: 'community_id', label: '社区', type: 'select', required: true, options: () => communityOptions(communities.value), disabled: (m) => !!m.id },
      { prop: 'kind', label: '类型', type: 'select', required: true, options: kindOptions },
      { prop: 'title', label: '标题', required: true, maxlength: 64 },
      { prop: 'content', label: '内容', type: 'textarea', rows: 6, required: true, maxlength: 5000 },
      { prop: 'building_ids', label: '通知楼栋', type: 'custom', render: (m) => h(BuildingPicker, { key: m.community_id, communityId: m.community_id, modelValue: m.building_ids, 'onUpdate:modelValue': (v) => { m.building_ids = v } }) },
      { prop: 'starts_at', label: '开始时间', type: 'datetime', hint: '停水、停电、停气和社区活动须填写起止时间' },
      { prop: 'ends_at', label: '结束时间', type: 'datetime' },
      { prop: 'publish_at', label: '定时发布', type: 'datetime', hint: '留空则点「发布」时立即发布；填写则到时自动发布' },
      { prop: 'pinned', label: '置顶', type: 'switch' },
      { prop: 'push', label: '微信推送', type: 'switch', hint: '停水、停电、停气通知发布时推送给受影响且订阅了提醒的居民', visible: (m) => OUTAGE_KINDS.includes(m.kind) },
    ]

    const composer = useFormDialog({
      name: 'notice',
      title: '发布通知',
      drawer: true,
      size: '680px',
      labelWidth: '100px',
      fields,
      initial: () => ({ community_id: Number(route.query.community_id) || (communities.value[0] ? communities.value[0].id : null), kind: 'water_outage', title: '', content: '', building_ids: [], starts_at: null, ends_at: null, publish_at: null, pinned: false, push: true }),
      submit: save,
      submitText: '保存草稿',
      submitType: 'default',
      actions: [{
        text: '保存并发布', type: 'primary', name: 'publish',
        submit: async (m) => {
          await save(m)
          return api.post(`/admin/notices/${m.id}/publish`)
        },
      }],
      done: (n) => (n.status === 'published' ? '已发布' : n.status === 'scheduled' ? `已定时，将于 ${fmtTime(n.publish_at)} 发布` : '草稿已保存'),
      onDone: () => list.value.reload(),
    })

    const edit = (row) => composer.open({
      id: row.id, community_id: row.community_id, kind: row.kind, title: row.title, content: row.content,
      building_ids: row.building_ids, starts_at: row.starts_at ? new Date(row.starts_at) : null,
      ends_at: row.ends_at ? new Date(row.ends_at) : null, publish_at: row.publish_at ? new Date(row.publish_at) : null,
      pinned: row.pinned, push: row.push,
    }, `编辑通知：${row.title}`)

    const publish = (row) => confirmAction({
      title: '发布通知',
      message: row.publish_at && new Date(row.publish_at) > new Date()
        ? `「${row.title}」将于 ${fmtTime(row.publish_at)} 自动发布。确认定时发布？`
        : `立即发布「${row.title}」？居民将马上看到${row.push && OUTAGE_KINDS.includes(row.kind) ? '，并收到微信推送' : ''}。`,
      confirmText: '发布',
      danger: false,
      done: '已发布',
      action: () => api.post(`/admin/notices/${row.id}/publish`),
    }).then((r) => r && list.value.reload())

    const withdraw = (row) => confirmAction({
      title: '撤回通知',
      message: `撤回「${row.title}」？撤回后居民将看不到这条通知，且不能再次发布。`,
      confirmText: '撤回',
      done: '已撤回',
      action: () => api.post(`/admin/notices/${row.id}/withdraw`),
    }).then((r) => r && list.value.reload())

    const scope = (r) => {
      if (!r.building_ids.length) return '全社区'
      return `${r.building_ids.length} 栋楼`
    }

    const push = (r) => {
      const total = r.push_sent + r.push_failed + r.push_pending
      if (!total) return h('span', { class: 'muted' }, r.push && OUTAGE_KINDS.includes(r.kind) ? (r.status === 'published' ? '无订阅居民' : '发布时推送') : '不推送')
      return h('div', {}, [
        progressBar(r.push_sent + r.push_failed, total, { status: r.push_pending ? undefined : (r.push_failed ? 'warning' : 'success'), label: `${r.push_sent + r.push_failed} / ${total}` }),
        r.push_failed ? h('div', { class: 'muted small' }, `失败 ${r.push_failed}`) : null,
      ])
    }

    const timeWindow = (r) => fmtWindow(r.starts_at, r.ends_at)

    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        fetch: (q) => api.get('/admin/notices', q),
        filters: [
          { key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' },
          { key: 'status', label: '状态', type: 'select', options: optionsOf(LABELS.notice), placeholder: '全部状态' },
        ],
        pollMs: 3000,
        pollWhile: (rows) => rows.some((r) => r.push_pending > 0),
        columns: [
          { label: '标题', minWidth: 200, render: (r) => h('div', { 'data-notice': r.id }, [r.pinned ? h(ElTag, { size: 'small', type: 'danger', class: 'pin' }, () => '置顶') : null, r.title]) },
          { label: '类型', width: 90, render: (r) => NOTICE_KINDS[r.kind] || r.kind },
          { label: '社区', minWidth: 110, render: (r) => communityName(r.community_id) },
          { label: '范围', width: 90, render: scope },
          { label: '时间', minWidth: 170, render: timeWindow },
          { label: '状态', width: 100, render: (r) => statusTag(LABELS.notice, r.status) },
          { label: '发布时间', width: 150, render: (r) => fmtTime(r.published_at || r.publish_at) },
          { label: '阅读', width: 70, render: (r) => h('span', { 'data-read-count': r.read_count }, String(r.read_count)) },
          { label: '推送进度', minWidth: 150, render: push },
          {
            label: '操作', width: 190, fixed: 'right',
            render: (r) => h('div', { class: 'row-actions' }, [
              ['draft', 'scheduled'].includes(r.status) ? h(ElButton, { size: 'small', onClick: () => edit(r), 'data-action': 'edit' }, () => '编辑') : null,
              ['draft', 'scheduled'].includes(r.status) ? h(ElButton, { size: 'small', type: 'primary', onClick: () => publish(r), 'data-action': 'publish' }, () => '发布') : null,
              ['published', 'scheduled'].includes(r.status) ? h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => withdraw(r), 'data-action': 'withdraw' }, () => '撤回') : null,
            ]),
          },
        ],
      }, { toolbar: () => h(ElButton, { type: 'primary', onClick: () => composer.open(), 'data-action': 'compose' }, () => '发布通知') }),
      composer.render(),
    ])
  },
})
