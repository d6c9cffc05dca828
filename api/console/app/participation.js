// Shared by the resident-participation pages (居民参与: points, 爱心超市, wish
// wall, surveys, odd jobs, tool lending): their status labels, the community
// the page works on (kept in the URL as `community_id`, the admin's first
// community by default), and a resident picker over the users directory.

import { defineComponent, h, ref, watch } from 'vue'
import { ElOption, ElSelect } from 'element-plus'
import { api } from './api.js'
import { communityOptions } from './communities.js'
import { route, setQuery } from './router.js'

export const P_LABELS = {
  wish: {
    pending: ['待审核', 'warning'], open: ['心愿墙上', 'primary'], claimed: ['已认领', 'primary'],
    fulfilled: ['已完成待确认', 'warning'], confirmed: ['已确认', 'success'], rejected: ['已驳回', 'danger'],
  },
  survey: { upcoming: ['未开始', 'info'], open: ['填写中', 'success'], closed: ['已结束', 'info'] },
  job: { open: ['招募中', 'success'], filled: ['已招满', 'primary'], closed: ['已关闭', 'info'], taken_down: ['已下架', 'danger'] },
  loan: { reserved: ['已预约', 'warning'], lent: ['借出中', 'primary'], returned: ['已归还', 'success'], cancelled: ['已取消', 'info'] },
  entry: { earn: ['获得', 'success'], spend: ['兑换', 'warning'], reverse: ['撤销', 'danger'], expire: ['过期', 'info'] },
}

export const WISH_CATEGORIES = { goods: '生活物品', study: '学习用品', company: '陪伴探望', repair: '维修帮办', other: '其他' }
export const ENTRY_SOURCES = { service: '志愿服务', activity: '活动', wish: '微心愿', redemption: '爱心超市', admin: '管理员', expiry: '过期' }
export const QUESTION_KINDS = { single: '单选题', multiple: '多选题', scale: '量表题（1-5 分）', text: '填空题' }
export const PAY_UNITS = { hour: '元/小时', day: '元/天', piece: '元/件', job: '元/次' }

// The community the page works on: the URL's, else the admin's first.
export function currentCommunity(communities) {
  if (route.query.community_id) return String(route.query.community_id)
  const first = (communities || [])[0]
  return first ? String(first.id) : ''
}

// The page's community select (a page whose API needs one community).
export function communitySelect(communities, { reset = [] } = {}) {
  return h(ElSelect, {
    modelValue: currentCommunity(communities),
    'onUpdate:modelValue': (v) => setQuery({ community_id: v, ...Object.fromEntries(reset.map((k) => [k, undefined])) }),
    filterable: (communities || []).length > 8,
    class: 'filter',
    'data-filter': 'community_id',
  }, () => communityOptions(communities || []).map((o) => h(ElOption, { key: o.value, label: o.label, value: String(o.value) })))
}

const userLabel = (u) => `${u.nickname}（#${u.id}${u.phone ? ` ${u.phone}` : ''}）`

// A resident of `communityId()` by nickname or phone (GET /admin/users):
// the first 50 on opening, the matches as the admin types.
export const ResidentPicker = defineComponent({
  name: 'ResidentPicker',
  props: {
    modelValue: { type: Number, default: null },
    communityId: { type: [String, Number], default: '' },
  },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const options = ref([])
    let seq = 0
    async function search(text = '') {
      const mine = ++seq
      const q = { community_id: props.communityId || undefined, page_size: 50 }
      if (/^\d{4,}$/.test(text)) q.phone = text
      else if (text) q.nickname = text
      try {
        const res = await api.get('/admin/users', q)
        if (mine === seq) options.value = res.items
      } catch {
        if (mine === seq) options.value = []
      }
    }
    watch(() => props.communityId, () => search(), { immediate: true })
    return () => h(ElSelect, {
      modelValue: props.modelValue,
      'onUpdate:modelValue': (v) => emit('update:modelValue', v),
      filterable: true,
      filterMethod: (text) => search(text.trim()),
      clearable: true,
      placeholder: '输入昵称或手机号查找居民',
      class: 'resident-picker',
    }, () => options.value.map((u) => h(ElOption, { key: u.id, label: userLabel(u), value: u.id })))
  },
})
