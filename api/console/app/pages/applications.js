// Review queues: merchant applications (入驻) and helper applications
// (服务人员). Approve after a confirmation; reject with a reason the
// applicant reads.

import { defineComponent, h, ref } from 'vue'
import { ElButton, ElImage } from 'element-plus'
import { api } from '../api.js'
import { communityName } from '../communities.js'
import { confirmAction } from '../ui/confirm.js'
import { useFormDialog } from '../ui/dialog.js'
import { LABELS, fmtTime, optionsOf, statusTag } from '../ui/format.js'
import { PagedList } from '../ui/paged-list.js'

const names = (ids) => (ids || []).map(communityName).join('、') || '—'

// Licence / certificate photos: the API answers short-lived signed URLs; a
// click opens them large (Element Plus's viewer, teleported, no inline script).
const photos = (urls, label) => (urls && urls.length
  ? h('div', { class: 'photo-cell', 'data-photos': urls.length }, urls.map((src, i) => h(ElImage, {
    key: src, src, fit: 'cover', class: 'thumb', previewSrcList: urls, initialIndex: i, previewTeleported: true, alt: `${label}${i + 1}`, hideOnClickModal: true,
  })))
  : h('span', { class: 'muted' }, '未上传'))

function reviewPage({ name, path, subject, columns, approvedNote, photoColumn }) {
  return defineComponent({
    name,
    setup() {
      const list = ref(null)
      const reject = useFormDialog({
        name: 'reject',
        title: '驳回申请',
        fields: [{ prop: 'reason', label: '驳回原因', type: 'textarea', required: true, maxlength: 200, placeholder: '申请人会看到这段说明' }],
        initial: () => ({ reason: '' }),
        submit: (m) => api.post(`${path}/${m.id}/reject`, { reason: m.reason }),
        done: '已驳回',
        onDone: () => list.value.reload(),
      })

      const approve = (row) => confirmAction({
        title: '通过申请',
        message: `确认通过「${subject(row)}」的申请？${approvedNote}`,
        confirmText: '通过',
        danger: false,
        done: '已通过',
        action: () => api.post(`${path}/${row.id}/approve`),
      }).then((r) => r && list.value.reload())

      const actions = {
        label: '操作', width: 170, fixed: 'right',
        render: (row) => (row.status === 'pending'
          ? h('div', { class: 'row-actions' }, [
            h(ElButton, { size: 'small', type: 'primary', onClick: () => approve(row), 'data-action': 'approve' }, () => '通过'),
            h(ElButton, { size: 'small', type: 'danger', plain: true, onClick: () => reject.open({ id: row.id }, `驳回「${subject(row)}」`), 'data-action': 'reject' }, () => '驳回'),
          ])
          : h('span', { class: 'muted' }, row.reviewed_at ? `审核于 ${fmtTime(row.reviewed_at)}` : '已审核')),
      }

      return () => h('div', {}, [
        h(PagedList, {
          ref: list,
          fetch: (q) => api.get(path, q),
          filters: [{ key: 'status', label: '状态', type: 'select', options: optionsOf(LABELS.application), placeholder: '全部状态' }],
          defaults: { status: 'pending' },
          columns: [
            ...columns,
            { label: photoColumn.label, minWidth: 130, render: (r) => photos(r[photoColumn.prop], photoColumn.label) },
            { label: '服务社区', minWidth: 140, render: (r) => names(r.community_ids) },
            { label: '申请时间', width: 150, render: (r) => fmtTime(r.created_at) },
            {
              label: '状态', width: 160, render: (r) => h('div', {}, [
                statusTag(LABELS.application, r.status),
                r.reject_reason ? h('div', { class: 'muted small' }, `原因：${r.reject_reason}`) : null,
                r.merchant_id ? h('div', { class: 'muted small' }, `商户编号 ${r.merchant_id}`) : null,
              ]),
            },
            actions,
          ],
          emptyText: '没有待处理的申请',
        }),
        reject.render(),
      ])
    },
  })
}

export const MerchantApplicationsPage = reviewPage({
  name: 'MerchantApplicationsPage',
  path: '/admin/merchant-applications',
  subject: (r) => r.name,
  approvedNote: '通过后将开通店铺，申请人获得商户身份。',
  photoColumn: { label: '执照照片', prop: 'license_photos' },
  columns: [
    { label: '店铺名称', prop: 'name', minWidth: 140 },
    { label: '类别', prop: 'category', width: 100 },
    { label: '营业执照号', prop: 'license_no', minWidth: 150 },
    { label: '联系人', minWidth: 130, render: (r) => `${r.contact_name} ${r.contact_phone}` },
    { label: '地址', prop: 'address', minWidth: 160, ellipsis: true },
  ],
})

export const HelperApplicationsPage = reviewPage({
  name: 'HelperApplicationsPage',
  path: '/admin/helper-applications',
  subject: (r) => r.display_name,
  approvedNote: '通过后申请人成为认证服务人员，可在服务社区发布服务。',
  photoColumn: { label: '证书照片', prop: 'certificate_photos' },
  columns: [
    { label: '名称', prop: 'display_name', minWidth: 140 },
    { label: '服务技能', minWidth: 180, render: (r) => (r.skills || []).join('、') },
    { label: '电话', prop: 'phone', width: 130 },
  ],
})
