// The frame around every signed-in page: the menu of what this user can
// manage (admin pages, then one group per shop), the page title, the account
// menu. Below 1000 px wide (a tablet) the menu moves into a drawer.

import { computed, defineComponent, h, onMounted, onUnmounted, ref } from 'vue'
import {
  ElAside, ElButton, ElContainer, ElDrawer, ElDropdown, ElDropdownItem, ElDropdownMenu, ElHeader,
  ElMain, ElMenu, ElMenuItem, ElMenuItemGroup,
} from 'element-plus'
import { go, route } from '../router.js'
import { isAdmin, isPlatform, logout, session } from '../session.js'
import { ROLE_NAMES } from './format.js'
import { showError } from './notify.js'

// [{title, items: [{path, label}]}] for the signed-in user.
export function menuGroups() {
  const groups = []
  if (isAdmin()) {
    groups.push({
      title: isPlatform() ? '平台管理' : '社区管理',
      items: [
        { path: '/dashboard', label: '数据看板' },
        { path: '/merchant-applications', label: '商户入驻审核' },
        { path: '/helper-applications', label: '服务人员审核' },
        { path: '/merchants', label: '商户管理' },
        { path: '/helpers', label: '服务人员管理' },
        { path: '/requests', label: '诉求工单' },
        { path: '/notices', label: '社区通知' },
        { path: '/communities', label: '社区与楼栋' },
        { path: '/users', label: '居民名录' },
        { path: '/bindings', label: '楼栋绑定审核' },
        { path: '/grid-workers', label: '网格员' },
        ...(isPlatform() ? [{ path: '/admins', label: '社区管理员' }] : []),
        // Part A (issue 19).
        { path: '/activities', label: '社区活动' },
        { path: '/after-sales', label: '售后仲裁' },
        // End of part A.
      ],
    })
  }
  if (isAdmin()) groups.push(participationMenu())
  for (const m of session.merchants) {
    const base = `/shops/${m.id}`
    const suspended = m.status === 'suspended' ? '（已暂停）' : ''
    if (m.role === 'clerk') {
      groups.push({ title: `店铺：${m.name}${suspended}（店员）`, items: [{ path: `${base}/orders`, label: '订单与提货' }, { path: `${base}/after-sales`, label: '售后' }] })
      continue
    }
    groups.push({
      title: `店铺：${m.name}${suspended}`,
      items: [
        { path: `${base}/orders`, label: '订单与提货' },
        { path: `${base}/after-sales`, label: '售后' }, // part A (issue 19)
        { path: `${base}/group-buys`, label: '社区团购' },
        { path: `${base}/goods`, label: '商品' },
        { path: `${base}/promotions`, label: '优惠活动' },
        { path: `${base}/sales`, label: '销售数据' },
        { path: `${base}/staff`, label: '店员' },
        { path: `${base}/profile`, label: '店铺资料' },
      ],
    })
  }
  return groups
}

// 居民参与: the resident-participation pages, a group of their own.
function participationMenu() {
  return {
    title: '居民参与',
    items: [
      { path: '/points', label: '志愿积分' },
      { path: '/shelf', label: '爱心超市' },
      { path: '/wishes', label: '微心愿' },
      { path: '/surveys', label: '幸福指数问卷' },
      { path: '/odd-jobs', label: '零工驿站' },
      { path: '/lending', label: '工具借用点' },
    ],
  }
}

export const Layout = defineComponent({
  name: 'Layout',
  setup(_, { slots }) {
    const narrow = ref(window.innerWidth < 1000)
    const drawer = ref(false)
    const onResize = () => { narrow.value = window.innerWidth < 1000 }
    onMounted(() => window.addEventListener('resize', onResize))
    onUnmounted(() => window.removeEventListener('resize', onResize))

    const active = computed(() => {
      const all = menuGroups().flatMap((g) => g.items.map((i) => i.path))
      return all.filter((p) => route.path === p || route.path.startsWith(`${p}/`)).sort((a, b) => b.length - a.length)[0] || ''
    })

    const menu = () => h(ElMenu, {
      defaultActive: active.value,
      class: 'side-menu',
      onSelect: (path) => { drawer.value = false; go(path) },
    }, () => menuGroups().map((g) => h(ElMenuItemGroup, { key: g.title, title: g.title },
      () => g.items.map((i) => h(ElMenuItem, { key: i.path, index: i.path, 'data-menu': i.path }, () => i.label)))))

    async function onCommand(cmd) {
      if (cmd === 'password') go('/password')
      if (cmd === 'logout') {
        try {
          await logout()
        } catch (err) {
          showError(err)
        }
        go('/login', {}, { replace: true })
      }
    }

    const account = () => {
      const u = session.user
      const role = u.roles.filter((r) => r !== 'resident').map((r) => ROLE_NAMES[r] || r).join('、')
      return h(ElDropdown, { trigger: 'click', onCommand }, {
        default: () => h(ElButton, { text: true, class: 'account', 'data-account': u.id }, () => `${u.nickname || '用户'}${role ? `（${role}）` : ''} ▾`),
        dropdown: () => h(ElDropdownMenu, {}, () => [
          isAdmin() ? h(ElDropdownItem, { command: 'password' }, () => '修改密码') : null,
          h(ElDropdownItem, { command: 'logout', 'data-action': 'logout' }, () => '退出登录'),
        ]),
      })
    }

    return () => h(ElContainer, { class: 'layout' }, () => [
      narrow.value
        ? h(ElDrawer, { modelValue: drawer.value, 'onUpdate:modelValue': (v) => { drawer.value = v }, direction: 'ltr', size: '240px', withHeader: false }, () => [h('div', { class: 'brand' }, '驿站管理后台'), menu()])
        : h(ElAside, { width: '220px', class: 'aside' }, () => [h('div', { class: 'brand' }, '驿站管理后台'), menu()]),
      h(ElContainer, {}, () => [
        h(ElHeader, { class: 'header' }, () => [
          narrow.value ? h(ElButton, { onClick: () => { drawer.value = true }, class: 'menu-button' }, () => '☰ 菜单') : null,
          h('h1', { class: 'page-title' }, route.def && route.def.title ? (typeof route.def.title === 'function' ? route.def.title() : route.def.title) : ''),
          h('span', { class: 'header-gap' }),
          account(),
        ]),
        h(ElMain, { class: 'main' }, () => (slots.default ? slots.default() : null)),
      ]),
    ])
  },
})
