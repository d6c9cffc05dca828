// A community's building codes to print (居民扫码上报 / 绑定): every
// building's code (GET /admin/buildings/{id}/qrcode, fetched with the token
// and shown as data: URLs), laid out six to an A4 page by the print style
// sheet; or the server's PDF of them all.

import { defineComponent, h, onMounted, reactive } from 'vue'
import { ElAlert, ElButton } from 'element-plus'
import { dataUrl } from '../api.js'
import { communityDetail } from '../communities.js'
import { route } from '../router.js'
import { download, TaskProgress } from '../ui/progress.js'
import { showError } from '../ui/notify.js'

export const QrCodesPage = defineComponent({
  name: 'QrCodesPage',
  setup() {
    const s = reactive({ community: null, codes: [], done: 0, total: 0, error: null, pdf: 0 })
    const id = () => Number(route.params.id)

    onMounted(async () => {
      try {
        s.community = await communityDetail(id())
      } catch (err) {
        s.error = err
        return
      }
      const buildings = s.community.grids.flatMap((g) => (g.buildings || []).map((b) => ({ ...b, grid: g.name, src: null })))
      s.codes = buildings
      s.total = buildings.length
      // Two at a time: each may be a WeChat call on the server.
      const queue = [...s.codes]
      await Promise.all([0, 1].map(async () => {
        while (queue.length) {
          const b = queue.shift()
          try {
            b.src = await dataUrl(`/admin/buildings/${b.id}/qrcode`)
          } catch (err) {
            b.error = err.message
          }
          s.done += 1
        }
      }))
    })

    async function pdf() {
      try {
        await download(`/admin/communities/${id()}/qrcodes.pdf`, `${s.community.name}-楼栋二维码.pdf`, (n) => { s.pdf = n }, 'application/pdf')
      } catch (err) {
        showError(err)
      } finally {
        s.pdf = 0
      }
    }

    return () => {
      if (s.error) return h(ElAlert, { type: 'error', showIcon: true, closable: false, class: 'list-error', title: s.error.status === 403 ? `没有权限查看：${s.error.message}` : s.error.message })
      if (!s.community) return null
      return h('div', { class: 'qr-page' }, [
        h('div', { class: 'toolbar no-print' }, [
          h('span', {}, `${s.community.name}：${s.total} 栋楼`),
          h('span', { class: 'toolbar-gap' }),
          h(ElButton, { type: 'primary', onClick: () => window.print(), disabled: s.done < s.total, 'data-action': 'print' }, () => '打印'),
          h(ElButton, { onClick: pdf, loading: s.pdf > 0, 'data-action': 'pdf' }, () => (s.pdf > 0 ? `下载中 ${Math.round(s.pdf / 1024)} KB` : '下载 PDF（含城市部件）')),
        ]),
        h(TaskProgress, { done: s.done, total: s.total, label: '正在生成二维码', class: 'no-print' }),
        h('div', { class: 'qr-sheet' }, s.codes.map((b) => h('figure', { key: b.id, class: 'qr-card', 'data-qr': b.id }, [
          b.src ? h('img', { src: b.src, alt: `${b.name}二维码`, class: 'qr-img' }) : h('div', { class: 'qr-img placeholder' }, b.error || '生成中…'),
          h('figcaption', {}, [h('strong', {}, `${s.community.name} ${b.name}`), h('span', {}, `${b.grid} · 扫码绑定楼栋、反映问题`)]),
        ]))),
      ])
    }
  },
})
