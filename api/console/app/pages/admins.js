// Community admins (platform admin): every account with its communities;
// create, disable (its tokens stop at once), enable, reset the password.

import { defineComponent, h, onMounted, ref } from 'vue'
import { ElButton } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { LABELS, fmtTime, statusTag } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

export const AdminsPage = defineComponent({
  name: 'AdminsPage',
  setup() {
    const list = ref(null)
    const communities = ref([])
    onMounted(async () => { communities.value = await myCommunities() })
    const reload = () => list.value.reload()

    const create = useFormDialog({
      name: 'admin',
      title: '新增社区管理员',
      fields: [
        { prop: 'username', label: '用户名', required: true, hint: '3-32 位字母、数字或 _ . -' },
        { prop: 'password', label: '初始密码', type: 'password', required: true, autocomplete: 'new-password', hint: '8-128 个字符；请管理员首次登录后修改' },
        { prop: 'community_ids', label: '管理社区', type: 'multiselect', required: true, options: () => communityOptions(communities.value) },
      ],
      initial: () => ({ username: '', password: '', community_ids: [] }),
      submit: (m) => api.post('/admin/admins', { username: m.username.trim(), password: m.password, community_ids: m.community_ids }),
      done: (a) => `已创建 ${a.username}`,
      onDone: reload,
    })

    const reset = useFormDialog({
      name: 'reset-password',
      title: '重置密码',
      fields: [{ prop: 'new_password', label: '新密码', type: 'password', required: true, autocomplete: 'new-password', hint: '8-128 个字符；该账号的登录会话全部失效' }],
      submit: (m) => api.post(`/admin/admins/${m.id}/reset-password`, { new_password: m.new_password }),
      done: '密码已重置',
      onDone: reload,
    })

    const toggle = (a, disable) => confirmAction({
      title: disable ? '停用账号' : '启用账号',
      message: disable ? `停用「${a.username}」？该账号立即退出登录且不能再登录。` : `重新启用「${a.username}」？`,
      confirmText: disable ? '停用' : '启用',
      danger: disable,
      done: disable ? '已停用' : '已启用',
      action: () => api.post(`/admin/admins/${a.id}/${disable ? 'disable' : 'enable'}`),
    }).then((r) => r && reload())

    return () => h('div', {}, [
      h(PagedList, {
        ref: list,
        fetch: (q) => api.get('/admin/admins', q),
        filters: [
          { key: 'community_id', label: '社区', type: 'select', options: () => communityOptions(communities.value), placeholder: '全部社区' },
          { key: 'q', label: '用户名', type: 'text', placeholder: '搜索用户名' },
        ],
        columns: [
          { label: '编号', prop: 'id', width: 80 },
          { label: '用户名', minWidth: 140, render: (a) => h('span', { 'data-admin': a.id }, a.username) },
          { label: '管理社区', minWidth: 180, render: (a) => a.community_ids.map(communityName).join('、') },
          { label: '状态', width: 90, render: (a) => statusTag(LABELS.admin, a.disabled_at ? 'disabled' : 'enabled') },
          { label: '创建时间', width: 150, render: (a) => fmtTime(a.created_at) },
          {
            label: '操作', width: 170, fixed: 'right',
            render: (a) => h('div', { class: 'row-actions' }, [
              a.disabled_at
                ? h(ElButton, { size: 'small', type: 'primary', plain: true, onClick: () => toggle(a, false), 'data-action': 'enable' }, () => '启用')
                : h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => toggle(a, true), 'data-action': 'disable' }, () => '停用'),
              h(ElButton, { size: 'small', onClick: () => reset.open({ id: a.id, new_password: '' }, `重置「${a.username}」的密码`), 'data-action': 'reset-password' }, () => '重置密码'),
            ]),
          },
        ],
      }, { toolbar: () => h(ElButton, { type: 'primary', onClick: () => create.open(), 'data-action': 'create-admin' }, () => '新增社区管理员') }),
      create.render(),
      reset.render(),
    ])
  },
})
