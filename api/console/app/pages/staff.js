// The shop's clerks (店员, owner only): add by the phone they bound or their
// user id, remove after a confirmation. Clerks log in by scanning and work
// the order desk for the shop.

import { defineComponent, h, ref } from 'vue'
import { ElButton } from 'element-plus'
import { api } from '../api.js'
import { shopId } from '../shop.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { fmtTime } from '../ui/format.js'
import { PagedList, pagedLocally } from '../ui/paged-list.js'

export const StaffPage = defineComponent({
  name: 'StaffPage',
  setup() {
    const list = ref(null)
    const add = useFormDialog({
      name: 'staff',
      title: '添加店员',
      fields: [
        { prop: 'phone', label: '手机号', placeholder: '店员在小程序绑定的手机号', hint: '手机号和用户编号填一个即可' },
        { prop: 'user_id', label: '用户编号', type: 'number' },
      ],
      initial: () => ({ phone: '', user_id: null }),
      submit: (m) => api.post(`/merchants/${shopId()}/staff`, m.user_id ? { user_id: m.user_id } : { phone: m.phone.trim() }),
      done: (s) => `已添加店员 ${s.nickname}`,
      onDone: () => list.value.reload(),
    })
    const remove = (s) => confirmAction({
      title: '移除店员',
      message: `移除店员「${s.nickname}」？对方将立即不能处理本店订单。`,
      confirmText: '移除',
      done: '已移除',
      action: () => api.del(`/merchants/${shopId()}/staff/${s.user_id}`),
    }).then((r) => r !== undefined && list.value.reload())

    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        fetch: pagedLocally(() => api.get(`/merchants/${shopId()}/staff`)),
        rowKey: 'user_id',
        emptyText: '还没有店员',
        columns: [
          { label: '用户编号', prop: 'user_id', width: 100 },
          { label: '昵称', minWidth: 140, render: (s) => h('span', { 'data-staff': s.user_id }, s.nickname) },
          { label: '手机', width: 140, render: (s) => s.phone || '—' },
          { label: '添加时间', width: 160, render: (s) => fmtTime(s.added_at) },
          { label: '操作', width: 100, fixed: 'right', render: (s) => h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => remove(s), 'data-action': 'remove-staff' }, () => '移除') },
        ],
      }, { toolbar: () => h(ElButton, { type: 'primary', onClick: () => add.open(), 'data-action': 'add-staff' }, () => '添加店员') }),
      add.render(),
    ])
  },
})
