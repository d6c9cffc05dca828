// Publishing an activity (POST /activities): one session, or a weekly
// timetable over a term (China Standard Time) with holidays left out;
// places, age range, the communities whose residents may join, the sign-up
// window, the waiting list and points. The API's field errors land under
// their fields (`schedule.*` under the timetable's own fields).

import { h } from 'vue'
import { ElDatePicker, ElRadioButton, ElRadioGroup } from 'element-plus'
import { api } from '../api.js'
import { communityOptions } from '../communities.js'
import { useFormDialog } from '../ui/dialog.js'
import { toIso } from '../ui/format.js'

const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'].map((label, i) => ({ label, value: i + 1 }))

const single = (m) => m.mode === 'single'
const weekly = (m) => m.mode === 'weekly'

// A date (or several) as YYYY-MM-DD, which the timetable takes.
const datePicker = (prop, type = 'date') => (m) => h(ElDatePicker, {
  modelValue: m[prop],
  'onUpdate:modelValue': (v) => { m[prop] = v },
  type,
  valueFormat: 'YYYY-MM-DD',
  format: 'YYYY-MM-DD',
  clearable: true,
  placeholder: type === 'dates' ? '可选多个日期' : 'YYYY-MM-DD',
})

const blank = (v) => (v === '' || v === null || v === undefined ? undefined : v)

function body(m) {
  const schedule = single(m)
    ? { starts_at: toIso(m['schedule.starts_at']), ends_at: toIso(m['schedule.ends_at']) }
    : {
      weekdays: m['schedule.weekdays'],
      start_time: blank((m['schedule.start_time'] || '').trim()),
      end_time: blank((m['schedule.end_time'] || '').trim()),
      first_date: blank(m['schedule.first_date']),
      last_date: blank(m['schedule.last_date']),
      skip_dates: m['schedule.skip_dates'] || [],
    }
  return {
    community_id: m.community_id,
    title: m.title,
    description: m.description,
    place: m.place,
    schedule,
    capacity: m.capacity,
    min_age: blank(m.min_age),
    max_age: blank(m.max_age),
    community_ids: m.community_ids.length ? m.community_ids : undefined,
    signup_opens_at: toIso(m.signup_opens_at),
    signup_closes_at: toIso(m.signup_closes_at),
    cancel_cutoff_minutes: blank(m.cancel_cutoff_minutes),
    waitlist: m.waitlist,
    points: blank(m.points),
  }
}

// communities: a ref of the admin's communities; onDone(activity) after publishing.
export function activityDialog(communities, onDone) {
  const fields = [
    { prop: 'community_id', label: '主办社区', type: 'select', required: true, options: () => communityOptions(communities.value) },
    { prop: 'title', label: '活动名称', required: true, maxlength: 64, placeholder: '如：非遗剪纸体验课' },
    { prop: 'description', label: '活动介绍', type: 'textarea', rows: 4, maxlength: 2000 },
    { prop: 'place', label: '地点', required: true, maxlength: 100, placeholder: '如：社区活动室（二楼）' },
    {
      prop: 'schedule', label: '时间安排', type: 'custom', required: true,
      render: (m) => h(ElRadioGroup, { modelValue: m.mode, 'onUpdate:modelValue': (v) => { m.mode = v }, 'data-input': 'schedule-mode' }, () => [
        h(ElRadioButton, { value: 'single', 'data-mode': 'single' }, () => '单次活动'),
        h(ElRadioButton, { value: 'weekly', 'data-mode': 'weekly' }, () => '每周固定时间'),
      ]),
    },
    { prop: 'schedule.starts_at', label: '开始时间', type: 'datetime', visible: single },
    { prop: 'schedule.ends_at', label: '结束时间', type: 'datetime', visible: single },
    { prop: 'schedule.weekdays', label: '每周', type: 'multiselect', options: WEEKDAYS, visible: weekly },
    { prop: 'schedule.start_time', label: '开始时刻', maxlength: 5, placeholder: 'HH:MM，如 09:00（北京时间）', visible: weekly },
    { prop: 'schedule.end_time', label: '结束时刻', maxlength: 5, placeholder: 'HH:MM，如 10:30', visible: weekly },
    { prop: 'schedule.first_date', label: '首次日期', type: 'custom', render: datePicker('schedule.first_date'), visible: weekly, hint: '学期或周期的第一天（最长 366 天，最多 200 场）' },
    { prop: 'schedule.last_date', label: '末次日期', type: 'custom', render: datePicker('schedule.last_date'), visible: weekly },
    { prop: 'schedule.skip_dates', label: '停课日期', type: 'custom', render: datePicker('schedule.skip_dates', 'dates'), visible: weekly, hint: '节假日等不开课的日期' },
    { prop: 'capacity', label: '每场名额', type: 'number', required: true, props: { min: 1, max: 10000 } },
    { prop: 'min_age', label: '最小年龄', type: 'number', props: { min: 0, max: 150 }, hint: '按核验过的出生日期计算；不限则留空' },
    { prop: 'max_age', label: '最大年龄', type: 'number', props: { min: 0, max: 150 } },
    { prop: 'community_ids', label: '开放社区', type: 'multiselect', options: () => communityOptions(communities.value), hint: '哪些社区的居民可以报名；留空则只限主办社区' },
    { prop: 'signup_opens_at', label: '报名开始', type: 'datetime', hint: '留空则发布后立即开放报名' },
    { prop: 'signup_closes_at', label: '报名截止', type: 'datetime', hint: '留空则截止到第一场开始' },
    { prop: 'cancel_cutoff_minutes', label: '取消截止', type: 'number', props: { min: 0, max: 10080 }, hint: '开场前多少分钟内不能再取消（默认 120）' },
    { prop: 'waitlist', label: '候补名单', type: 'switch', hint: '名额满后可排队候补，有人取消时依次递补' },
    { prop: 'points', label: '签到积分', type: 'number', props: { min: 0, max: 10000 } },
  ]
  const d = useFormDialog({
    name: 'activity',
    title: '发布活动',
    drawer: true,
    size: '680px',
    labelWidth: '100px',
    fields,
    initial: () => {
      const first = communities.value[0] ? communities.value[0].id : null
      return {
        community_id: first, title: '', description: '', place: '', mode: 'single',
        'schedule.starts_at': null, 'schedule.ends_at': null, 'schedule.weekdays': [], 'schedule.start_time': '', 'schedule.end_time': '',
        'schedule.first_date': null, 'schedule.last_date': null, 'schedule.skip_dates': [],
        capacity: 30, min_age: null, max_age: null, community_ids: [], signup_opens_at: null, signup_closes_at: null,
        cancel_cutoff_minutes: 120, waitlist: true, points: 0,
      }
    },
    submit: (m) => api.post('/activities', body(m)),
    submitText: '发布',
    done: (a) => `已发布「${a.title}」，共 ${a.session_count} 场`,
    onDone,
  })
  return d
}
