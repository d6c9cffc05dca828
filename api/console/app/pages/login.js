// Sign in: admins with username and password; merchants by scanning a code
// with the mini-program (the console polls its ticket until they confirm).

import { defineComponent, h, onUnmounted, reactive, ref } from 'vue'
import { ElButton, ElCard, ElTabPane, ElTabs } from 'element-plus'
import { api } from '../api.js'
import { go, route, setQuery } from '../router.js'
import { adopt, loginWithPassword } from '../session.js'
import { ApiForm } from '../ui/form.js'
import { forgetCommunities } from '../communities.js'

function afterLogin() {
  forgetCommunities()
  const next = route.query.next
  go(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', {}, { replace: true })
}

const POLL_MS = 2000

const ScanLogin = defineComponent({
  name: 'ScanLogin',
  setup() {
    const state = reactive({ ticket: null, status: 'loading', error: '', remaining: 0 })
    let timer = null
    let clock = null
    let alive = true

    function stop() {
      clearTimeout(timer)
      clearInterval(clock)
    }

    async function create() {
      stop()
      state.status = 'loading'
      state.error = ''
      try {
        state.ticket = await api.post('/console/login-tickets', {})
        state.status = 'pending'
        tick()
        clock = setInterval(tick, 1000)
        timer = setTimeout(poll, POLL_MS)
      } catch (err) {
        state.status = 'error'
        state.error = err.message
      }
    }

    function tick() {
      if (!state.ticket) return
      state.remaining = Math.max(0, Math.round((new Date(state.ticket.expires_at) - Date.now()) / 1000))
    }

    async function poll() {
      if (!alive || state.status !== 'pending') return
      try {
        const res = await api.get(`/console/login-tickets/${state.ticket.id}`, {}, {
          headers: { 'X-Ticket-Secret': state.ticket.secret },
          noRefresh: true,
        })
        if (res.status === 'confirmed' && res.session) {
          stop()
          state.status = 'done'
          adopt(res.session)
          afterLogin()
          return
        }
      } catch (err) {
        if (err.code === 'LOGIN_TICKET_EXPIRED') {
          stop()
          state.status = 'expired'
          return
        }
        if (err.status === 404 || err.status === 409) {
          stop()
          state.status = 'error'
          state.error = err.message
          return
        }
        // A network blip: keep polling.
      }
      if (alive) timer = setTimeout(poll, POLL_MS)
    }

    create()
    onUnmounted(() => { alive = false; stop() })

    return () => {
      const t = state.ticket
      const overlay = state.status === 'expired'
        ? h('div', { class: 'code-overlay' }, [h('p', {}, '二维码已过期'), h(ElButton, { type: 'primary', onClick: create, 'data-action': 'renew' }, () => '刷新二维码')])
        : state.status === 'error'
          ? h('div', { class: 'code-overlay' }, [h('p', {}, state.error), h(ElButton, { type: 'primary', onClick: create, 'data-action': 'renew' }, () => '重新获取')])
          : null
      return h('div', { class: 'scan-login' }, [
        h('div', { class: 'code-box' }, [
          t ? h('img', { src: t.code_image, alt: '扫码登录二维码', class: 'ticket-code', 'data-ticket': t.id, 'data-kind': t.code_kind }) : h('div', { class: 'ticket-code placeholder' }, '正在生成二维码…'),
          overlay,
        ]),
        h('p', { class: 'scan-hint' }, '请用微信打开「驿站」小程序扫码，并在手机上确认登录'),
        state.status === 'pending' ? h('p', { class: 'scan-remaining' }, `二维码 ${state.remaining} 秒后过期，过期后请刷新`) : null,
        state.status === 'done' ? h('p', { class: 'scan-remaining' }, '已确认，正在进入…') : null,
      ])
    }
  },
})

export const LoginPage = defineComponent({
  name: 'LoginPage',
  setup() {
    const creds = reactive({ username: '', password: '' })
    const tab = ref(route.query.tab === 'scan' ? 'scan' : 'admin')
    const fields = [
      { prop: 'username', label: '用户名', autocomplete: 'username', placeholder: '管理员用户名' },
      { prop: 'password', label: '密码', type: 'password', autocomplete: 'current-password' },
    ]
    return () => h('div', { class: 'login-page' }, h(ElCard, { class: 'login-card', shadow: 'always' }, {
      header: () => h('div', { class: 'login-title' }, [h('strong', {}, '驿站管理后台'), h('span', {}, '便民服务驿站 · 社区与商户管理')]),
      default: () => h(ElTabs, {
        modelValue: tab.value,
        'onUpdate:modelValue': (v) => { tab.value = v; setQuery({ tab: v === 'scan' ? 'scan' : undefined }, { replace: true }) },
        stretch: true,
      }, () => [
        h(ElTabPane, { label: '管理员登录', name: 'admin' }, () => h(ApiForm, {
          fields,
          model: creds,
          labelPosition: 'top',
          submitText: '登录',
          submit: async (m) => {
            await loginWithPassword(m.username.trim(), m.password)
            afterLogin()
          },
        })),
        h(ElTabPane, { label: '商户扫码登录', name: 'scan', lazy: true }, () => (tab.value === 'scan' ? h(ScanLogin) : null)),
      ]),
    }))
  },
})
