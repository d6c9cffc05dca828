// Merchants of the admin's communities: suspend (hides the shop, its goods,
// promotions and open group-buys at once) and reinstate.

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElAlert, ElButton } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { isPlatform } from '../session.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { LABELS, statusTag } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

export const MerchantsPage = defineComponent({
  name: 'MerchantsPage',
  setup() {
    const list = ref(null)
    const communities = ref([])
    const categories = ref([])
    const ready = ref(false)

    onMounted(async () => {
      try {
        const [mine, tree] = await Promise.all([myCommunities(), api.get('/goods-categories')])
        communities.value = mine
        categories.value = tree.map((c) => ({ label: c.name, value: c.name }))
      } finally {
        ready.value = true
      }
    })

    const reinstate = useFormDialog({
      name: 'reinstate',
      title: '恢复营业',
      fields: [{ prop: 'merchant_id', label: '商户编号', type: 'number', required: true, hint: '见「商户入驻审核」中已通过申请的商户编号' }],
      initial: () => ({ merchant_id: null }),
      submit: (m) => api.post(`/admin/merchants/${Number(m.merchant_id) || 0}/reinstate`),
      done: (m) => `「${m.name}」已恢复营业`,
      onDone: () => list.value && list.value.reload(),
    })

    const suspend = (row) => confirmAction({
      title: '暂停营业',
      message: `暂停「${row.name}」？店铺、商品、优惠和进行中的团购将立即对居民隐藏。`,
      confirmText: '暂停营业',
      done: '已暂停',
      action: () => api.post(`/admin/merchants/${row.id}/suspend`),
    }).then((r) => r && list.value.reload())

    return () => {
      if (!ready.value) return null
      // A community admin always looks at one of their own communities.
      const scoped = !isPlatform()
      const first = communities.value[0]
      return h('div', {}, [
        h(ElAlert, {
          type: 'info', showIcon: true, closable: false, class: 'page-note',
          title: '列表显示营业中的商户。已暂停的商户不在公开列表中，可按商户编号恢复营业。',
        }),
        h(PagedList, {
          ref: list,
          fetch: (q) => api.get('/merchants', q),
          filters: [
            { key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), clearable: !scoped, placeholder: scoped ? '选择社区' : '全部社区' },
            { key: 'category', label: '类别', type: 'select', options: () => categories.value, placeholder: '全部类别' },
            { key: 'q', label: '名称', type: 'text', placeholder: '搜索商户名称' },
          ],
          defaults: scoped && first ? { community_id: String(first.id) } : {},
          columns: [
            { label: '编号', prop: 'id', width: 80 },
            { label: '商户名称', prop: 'name', minWidth: 150 },
            { label: '类别', prop: 'category', width: 100 },
            { label: '地址', prop: 'address', minWidth: 160, ellipsis: true },
            { label: '电话', prop: 'contact_phone', width: 130 },
            { label: '营业时间', prop: 'business_hours', minWidth: 120 },
            { label: '服务社区', minWidth: 140, render: (r) => r.community_ids.map(communityName).join('、') },
            { label: '状态', width: 90, render: (r) => statusTag(LABELS.merchant, r.status) },
            {
              label: '操作', width: 110, fixed: 'right',
              render: (r) => h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => suspend(r), 'data-action': 'suspend' }, () => '暂停营业'),
            },
          ],
        }, { toolbar: () => h(ElButton, { onClick: () => reinstate.open(), 'data-action': 'reinstate' }, () => '按编号恢复营业') }),
        reinstate.render(),
      ])
    }
  },
})
