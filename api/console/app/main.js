// The console: Vue 3 + Element Plus as ES modules, no build step. Components
// are render functions (h), so the page needs no template compiler and runs
// under a CSP without 'unsafe-eval'.

import { createApp, defineComponent, h, watchEffect } from 'vue'
import ElementPlus, { ElResult, ElSkeleton } from 'element-plus'
import zhCn from 'element-plus/locale/zh-cn'
import { defineRoutes, go, route } from './router.js'
import { isAdmin, isPlatform, restore, session } from './session.js'
import { Layout, menuGroups } from './ui/layout.js'
import { LoginPage } from './pages/login.js'
import { DashboardPage } from './pages/dashboard.js'
import { HelperApplicationsPage, MerchantApplicationsPage } from './pages/applications.js'
import { HelpersPage, MerchantsPage } from './pages/merchants.js'
import { UsersPage } from './pages/users.js'
import { RequestsPage } from './pages/requests.js'
import { BindingsPage } from './pages/bindings.js'
import { QrCodesPage } from './pages/qr-codes.js'
import { StaffPage } from './pages/staff.js'
import { SalesPage } from './pages/sales.js'
import { NoticesPage } from './pages/notices.js'
import { CommunitiesPage, CommunityPage } from './pages/communities.js'
import { GridWorkersPage } from './pages/grid-workers.js'
import { AdminsPage } from './pages/admins.js'
import { PasswordPage } from './pages/password.js'
import { ShopProfilePage } from './pages/shop-profile.js'
import { GoodsPage } from './pages/goods.js'
import { PromotionsPage } from './pages/promotions.js'
import { GroupBuysPage } from './pages/group-buys.js'
import { OrdersPage } from './pages/orders.js'
// Part A (issue 19): after-sales, activities.
import { AdminAfterSalesPage, MerchantAfterSalesPage } from './pages/after-sales.js'
import { ActivitiesPage } from './pages/activities.js'
import { ActivityPage } from './pages/activity.js'
import { AttendancePage } from './pages/attendance.js'
// 居民参与 (resident participation) pages: their own block, see ui/layout.js participationMenu().
import { PointsPage } from './pages/points.js'
import { ShelfPage } from './pages/shelf.js'
import { WishesPage } from './pages/wishes.js'
import { SurveysPage } from './pages/surveys.js'
import { OddJobsPage } from './pages/odd-jobs.js'
import { LendingPage } from './pages/lending.js'

const admin = () => isAdmin()
const platform = () => isPlatform()
// The shop's owner: every merchant page. A clerk (店员) works the order desk only.
const owner = (params) => session.merchants.some((m) => String(m.id) === params.mid && m.role !== 'clerk')
const desk = (params) => session.merchants.some((m) => String(m.id) === params.mid)

// Adding a page: write pages/x.js, add its route here and its menu entry in ui/layout.js.
defineRoutes([
  { path: '/login', component: LoginPage, title: '登录', public: true },
  { path: '/', component: null, title: '' },
  { path: '/dashboard', component: DashboardPage, title: '数据看板', allow: admin },
  { path: '/merchant-applications', component: MerchantApplicationsPage, title: '商户入驻审核', allow: admin },
  { path: '/helper-applications', component: HelperApplicationsPage, title: '服务人员审核', allow: admin },
  { path: '/merchants', component: MerchantsPage, title: '商户管理', allow: admin },
  { path: '/helpers', component: HelpersPage, title: '服务人员管理', allow: admin },
  { path: '/requests', component: RequestsPage, title: '诉求工单', allow: admin },
  { path: '/users', component: UsersPage, title: '居民名录', allow: admin },
  { path: '/bindings', component: BindingsPage, title: '楼栋绑定审核', allow: admin },
  { path: '/notices', component: NoticesPage, title: '社区通知', allow: admin },
  { path: '/communities', component: CommunitiesPage, title: '社区与楼栋', allow: admin },
  { path: '/communities/:id', component: CommunityPage, title: '社区详情', allow: admin },
  { path: '/communities/:id/qrcodes', component: QrCodesPage, title: '楼栋二维码', allow: admin },
  { path: '/grid-workers', component: GridWorkersPage, title: '网格员', allow: admin },
  { path: '/admins', component: AdminsPage, title: '社区管理员', allow: platform },
  { path: '/password', component: PasswordPage, title: '修改密码', allow: admin },
  { path: '/shops/:mid/profile', component: ShopProfilePage, title: '店铺资料', allow: owner },
  { path: '/shops/:mid/goods', component: GoodsPage, title: '商品', allow: owner },
  { path: '/shops/:mid/promotions', component: PromotionsPage, title: '优惠活动', allow: owner },
  { path: '/shops/:mid/group-buys', component: GroupBuysPage, title: '社区团购', allow: owner },
  { path: '/shops/:mid/orders', component: OrdersPage, title: '订单与提货', allow: desk },
  { path: '/shops/:mid/sales', component: SalesPage, title: '销售数据', allow: owner },
  { path: '/shops/:mid/staff', component: StaffPage, title: '店员', allow: owner },
  // Part A (issue 19): after-sales and activities. '/activities/attendance' before '/activities/:id'.
  { path: '/after-sales', component: AdminAfterSalesPage, title: '售后仲裁', allow: admin },
  { path: '/activities', component: ActivitiesPage, title: '社区活动', allow: admin },
  { path: '/activities/attendance', component: AttendancePage, title: '活动出勤统计', allow: admin },
  { path: '/activities/:id', component: ActivityPage, title: '活动场次与签到', allow: admin },
  { path: '/shops/:mid/after-sales', component: MerchantAfterSalesPage, title: '售后', allow: desk },
  // End of part A.
  // 居民参与
  { path: '/points', component: PointsPage, title: '志愿积分', allow: admin },
  { path: '/shelf', component: ShelfPage, title: '爱心超市', allow: admin },
  { path: '/wishes', component: WishesPage, title: '微心愿', allow: admin },
  { path: '/surveys', component: SurveysPage, title: '幸福指数问卷', allow: admin },
  { path: '/odd-jobs', component: OddJobsPage, title: '零工驿站', allow: admin },
  { path: '/lending', component: LendingPage, title: '工具借用点', allow: admin },
])

const App = defineComponent({
  name: 'App',
  setup() {
    // Signed out (or never in): to the login page, remembering where to come back.
    watchEffect(() => {
      if (!session.ready) return
      const def = route.def
      if (!session.user && !(def && def.public)) {
        const next = route.path === '/' ? undefined : `${route.path}${location.search}`
        go('/login', { next }, { replace: true })
      } else if (session.user && (route.path === '/' || route.path === '/login')) {
        const first = menuGroups().flatMap((g) => g.items)[0]
        if (first) go(first.path, {}, { replace: true })
      }
    })
    return () => {
      if (!session.ready) return h('div', { class: 'boot' }, h(ElSkeleton, { rows: 6, animated: true }))
      const def = route.def
      if (def && def.public) return h(def.component, { key: route.path })
      if (!session.user) return null
      let page
      if (!def) {
        page = h(ElResult, { icon: 'warning', title: '页面不存在', subTitle: route.path })
      } else if (!def.component) {
        page = h(ElResult, { icon: 'info', title: '该账号没有可管理的内容', subTitle: '请联系平台管理员开通社区管理或店铺权限' })
      } else if (def.allow && !def.allow(route.params)) {
        page = h(ElResult, { icon: 'error', title: '没有权限访问此页面', subTitle: '只能查看和管理自己负责的社区或店铺', 'data-result': 'forbidden' })
      } else {
        page = h(def.component, { key: route.path })
      }
      return h(Layout, {}, () => page)
    }
  },
})

const app = createApp(App)
app.use(ElementPlus, { locale: zhCn })
restore().finally(() => app.mount('#app'))
