// Community admins (platform admin): create an account for one or more
// communities. The API has no list of admins yet; the page shows those
// created here.

import { defineComponent, h, onMounted, reactive, ref } from 'vue'
import { ElCard, ElTable, ElTableColumn } from 'element-plus'
import { api } from '../api.js'
import { communityName, communityOptions, myCommunities } from '../communities.js'
import { ApiForm } from '../ui/form.js'
import { toast } from '../ui/notify.js'
import { TaskProgress } from '../ui/progress.js'

export const AdminsPage = defineComponent({
  name: 'AdminsPage',
  setup() {
    const communities = ref([])
    const loading = reactive({ done: 0, total: 0 })
    const created = ref([])
    const m = reactive({ username: '', password: '', community_ids: [] })
    onMounted(async () => {
      communities.value = await myCommunities({ onPage: (n, total) => { loading.done = n; loading.total = total } })
    })
    const fields = [
      { prop: 'username', label: '用户名', required: true, hint: '3-32 位字母、数字或 _ . -' },
      { prop: 'password', label: '初始密码', type: 'password', required: true, autocomplete: 'new-password', hint: '8-128 个字符；请管理员首次登录后修改' },
      { prop: 'community_ids', label: '管理社区', type: 'multiselect', required: true, options: () => communityOptions(communities.value) },
    ]
    return () => h('div', { class: 'narrow-page' }, [
      h(TaskProgress, { done: loading.done, total: loading.total, label: '正在加载社区' }),
      h(ElCard, { shadow: 'never' }, () => h(ApiForm, {
        fields,
        model: m,
        submitText: '创建社区管理员',
        submit: (x) => api.post('/admin/admins', { username: x.username.trim(), password: x.password, community_ids: x.community_ids }),
        onDone: (a) => {
          toast(`已创建 ${a.username}`)
          created.value.unshift(a)
          m.username = ''
          m.password = ''
          m.community_ids = []
        },
      })),
      created.value.length ? h(ElCard, { shadow: 'never', class: 'section' }, {
        header: () => '本次已创建',
        default: () => h(ElTable, { data: created.value, border: true }, () => [
          h(ElTableColumn, { label: '编号', prop: 'id', width: 90 }),
          h(ElTableColumn, { label: '用户名', prop: 'username' }),
          h(ElTableColumn, { label: '管理社区' }, { default: ({ row }) => row.community_ids.map(communityName).join('、') }),
        ]),
      }) : null,
    ])
  },
})
