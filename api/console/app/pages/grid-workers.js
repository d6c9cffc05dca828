// Grid workers (网格员) are picked from the users directory: search a
// resident by phone or nickname, then make them the worker of a grid of
// their community; the 网格员 column shows who already is.

import { defineComponent, h } from 'vue'
import { ElAlert } from 'element-plus'
import { UsersPage } from './users.js'

export const GridWorkersPage = defineComponent({
  name: 'GridWorkersPage',
  setup() {
    return () => h('div', {}, [
      h(ElAlert, {
        type: 'info', showIcon: true, closable: false, class: 'page-note',
        title: '按手机号或昵称找到居民，点「设为网格员」选择网格。网格员可以为本网格的老人、残疾人等居民代办预约服务和诉求。',
      }),
      h(UsersPage),
    ])
  },
})
