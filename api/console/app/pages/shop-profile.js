// The shop's public profile, edited by its owner.

import { defineComponent, h, onMounted, reactive, ref } from 'vue'
import { ElAlert, ElCard, ElDescriptions, ElDescriptionsItem, ElSkeleton } from 'element-plus'
import { api } from '../api.js'
import { communityName } from '../communities.js'
import { shopId, shopProfile } from '../shop.js'
import { ApiForm } from '../ui/form.js'
import { LABELS, statusTag } from '../ui/format.js'
import { toast } from '../ui/notify.js'

const EDITABLE = ['name', 'contact_phone', 'business_hours', 'address', 'lat', 'lng', 'announcement', 'logo_url']

export const ShopProfilePage = defineComponent({
  name: 'ShopProfilePage',
  setup() {
    const shop = ref(null)
    const error = ref(null)
    const m = reactive({})
    async function load(fresh = false) {
      try {
        shop.value = await shopProfile(shopId(), { fresh })
        for (const k of EDITABLE) m[k] = shop.value[k] ?? ''
      } catch (err) {
        error.value = err
      }
    }
    onMounted(() => load())
    const fields = [
      { prop: 'name', label: '店铺名称', required: true, maxlength: 40 },
      { prop: 'contact_phone', label: '营业电话', required: true },
      { prop: 'business_hours', label: '营业时间', placeholder: '如 每日 07:00-21:00', maxlength: 100 },
      { prop: 'address', label: '地址', required: true, maxlength: 200 },
      { prop: 'lat', label: '纬度', type: 'number', precision: 6, step: 0.001 },
      { prop: 'lng', label: '经度', type: 'number', precision: 6, step: 0.001 },
      { prop: 'announcement', label: '店铺公告', type: 'textarea', maxlength: 500 },
      { prop: 'logo_url', label: '店铺标志', placeholder: 'https:// 开头的图片链接，留空则不显示' },
    ]
    const submit = (x) => {
      const body = {}
      for (const k of EDITABLE) body[k] = x[k]
      body.logo_url = x.logo_url ? x.logo_url.trim() : null
      return api.patch(`/merchants/${shopId()}`, body)
    }
    return () => {
      if (error.value) return h(ElAlert, { type: 'error', title: error.value.message, showIcon: true, closable: false })
      const s = shop.value
      if (!s) return h(ElSkeleton, { rows: 6, animated: true })
      return h('div', { class: 'narrow-page' }, [
        s.status === 'suspended' ? h(ElAlert, { type: 'warning', showIcon: true, closable: false, class: 'page-note', title: '店铺已被社区暂停营业：居民暂时看不到店铺、商品和团购。如有疑问请联系社区管理员。' }) : null,
        h(ElDescriptions, { border: true, column: 2, class: 'section' }, () => [
          h(ElDescriptionsItem, { label: '店铺编号' }, () => String(s.id)),
          h(ElDescriptionsItem, { label: '状态' }, () => statusTag(LABELS.merchant, s.status)),
          h(ElDescriptionsItem, { label: '类别' }, () => s.category),
          h(ElDescriptionsItem, { label: '服务社区' }, () => s.community_ids.map(communityName).join('、')),
        ]),
        h(ElCard, { shadow: 'never' }, () => h(ApiForm, {
          fields, model: m, submitText: '保存资料', submit,
          onDone: () => { toast('店铺资料已保存'); load(true) },
        })),
      ])
    }
  },
})
