// Merchants and helpers of the admin's communities in every status
// (GET /admin/merchants, GET /admin/helpers): suspend after a confirmation,
// reinstate from the same row.

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElButton } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { confirmAction } from '../ui/confirm.js'
import { LABELS, optionsOf, statusTag } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

const names = (ids) => (ids || []).map(communityName).join('、') || '—'

function statusPage({ name, path, noun, label, suspendNote, filters = [], columns }) {
  return defineComponent({
    name,
    setup() {
      const list = ref(null)
      const communities = ref([])
      const extra = ref({})
      onMounted(async () => {
        communities.value = await myCommunities()
        for (const f of filters) if (f.load) extra.value = { ...extra.value, [f.key]: await f.load() }
      })

      const act = (row, suspend) => confirmAction({
        title: suspend ? '暂停' : '恢复',
        message: suspend ? `暂停「${label(row)}」？${suspendNote}` : `恢复「${label(row)}」？恢复后重新对居民可见。`,
        confirmText: suspend ? '暂停' : '恢复',
        danger: suspend,
        done: suspend ? '已暂停' : '已恢复',
        action: () => api.post(`${path}/${row.id}/${suspend ? 'suspend' : 'reinstate'}`),
      }).then((r) => r && list.value.reload())

      return () => h(PagedList, {
        ref: list,
        fetch: (q) => api.get(path, q),
        filters: [
          { key: 'status', label: '状态', type: 'select', options: optionsOf(LABELS[noun]), placeholder: '全部状态' },
          { key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' },
          ...filters.map((f) => ({ ...f, options: f.load ? () => extra.value[f.key] || [] : f.options })),
          { key: 'q', label: '名称', type: 'text', placeholder: '搜索名称' },
        ],
        columns: [
          { label: '编号', prop: 'id', width: 80 },
          ...columns,
          { label: '服务社区', minWidth: 140, render: (r) => names(r.community_ids) },
          { label: '状态', width: 90, render: (r) => statusTag(LABELS[noun], r.status) },
          {
            label: '操作', width: 110, fixed: 'right',
            render: (r) => (r.status === 'suspended'
              ? h(ElButton, { size: 'small', type: 'primary', plain: true, onClick: () => act(r, false), 'data-action': 'reinstate' }, () => '恢复')
              : h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => act(r, true), 'data-action': 'suspend' }, () => '暂停')),
          },
        ],
      })
    },
  })
}

export const MerchantsPage = statusPage({
  name: 'MerchantsPage',
  path: '/admin/merchants',
  noun: 'merchant',
  label: (r) => r.name,
  suspendNote: '店铺、商品、优惠和进行中的团购将立即对居民隐藏。',
  filters: [{
    key: 'category', label: '类别', type: 'select', placeholder: '全部类别',
    load: async () => (await api.get('/goods-categories')).map((c) => ({ label: c.name, value: c.name })),
  }],
  columns: [
    { label: '商户名称', minWidth: 150, render: (r) => h('span', { 'data-merchant': r.id }, r.name) },
    { label: '类别', prop: 'category', width: 100 },
    { label: '地址', prop: 'address', minWidth: 160, ellipsis: true },
    { label: '电话', prop: 'contact_phone', width: 130 },
  ],
})

export const HelpersPage = statusPage({
  name: 'HelpersPage',
  path: '/admin/helpers',
  noun: 'helper',
  label: (r) => r.display_name,
  suspendNote: '其服务立即下架，尚未开始的预约将取消并通知居民。',
  columns: [
    { label: '名称', minWidth: 130, render: (r) => h('span', { 'data-helper': r.id }, r.display_name) },
    { label: '服务技能', minWidth: 160, render: (r) => (r.skills || []).join('、') },
    { label: '电话', prop: 'phone', width: 130 },
    { label: '评分', width: 100, render: (r) => (r.rating_avg ? `${r.rating_avg.toFixed(1)}（${r.rating_count}）` : '暂无') },
  ],
})
