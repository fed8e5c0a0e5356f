"use strict";(self.rspackChunkinterlace_jupyterlab=self.rspackChunkinterlace_jupyterlab||[]).push([[700],{646(e,t,r){var a=r(601),n=r.n(a),o=r(314),i=(r.n(o))()(n());i.push([e.id,`/* interlace-jupyterlab: the models sidebar and the go-to-definition flash */
.interlace-sidebar {
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
  font-size: var(--jp-ui-font-size1);
  overflow-y: auto;
  min-width: 240px;
}
.interlace-sidebar-header {
  font-weight: 600;
  text-transform: uppercase;
  padding: 8px 12px;
  border-bottom: var(--jp-border-width) solid var(--jp-border-color2);
}
.interlace-sidebar-empty {
  padding: 8px 12px;
  color: var(--jp-ui-font-color2);
}
.interlace-sidebar-list {
  list-style: none;
  margin: 0;
  padding: 0;
}
.interlace-sidebar-model {
  padding: 6px 12px;
  border-bottom: var(--jp-border-width) solid var(--jp-border-color3);
}
.interlace-sidebar-title {
  display: flex;
  align-items: center;
  gap: 6px;
}
.interlace-sidebar-name {
  font-family: var(--jp-code-font-family);
  font-weight: 600;
  flex: 1;
}
.interlace-sidebar-status {
  width: 10px;
  height: 10px;
  border-radius: 50%;
  background: #9e9e9e;
}
.interlace-sidebar-status-text,
.interlace-sidebar-meta {
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
}
.interlace-sidebar-model[data-status='stale'] .interlace-sidebar-status { background: #f9a825; }
.interlace-sidebar-model[data-status='fresh'] .interlace-sidebar-status,
.interlace-sidebar-model[data-status='success'] .interlace-sidebar-status { background: #2e7d32; }
.interlace-sidebar-model[data-status='queued'] .interlace-sidebar-status { background: #90caf9; }
.interlace-sidebar-model[data-status='running'] .interlace-sidebar-status { background: #1565c0; }
.interlace-sidebar-model[data-status='failed'] .interlace-sidebar-status { background: #d32f2f; }
.interlace-sidebar-model[data-status='skipped'] .interlace-sidebar-status,
.interlace-sidebar-model[data-status='cancelled'] .interlace-sidebar-status { background: #6d4c41; }
.interlace-sidebar-buttons {
  display: flex;
  gap: 4px;
  margin-top: 4px;
}
.interlace-sidebar-buttons button {
  font-size: var(--jp-ui-font-size0);
  padding: 1px 6px;
  cursor: pointer;
  background: var(--jp-layout-color2);
  color: var(--jp-ui-font-color1);
  border: var(--jp-border-width) solid var(--jp-border-color1);
  border-radius: 2px;
}
.interlace-sidebar-buttons button:hover {
  background: var(--jp-layout-color3);
}
.jp-Cell.interlace-jumped {
  outline: 2px solid var(--jp-brand-color1);
}
`,""]),r.d(t,{},{A:i})},314(e){e.exports=function(e){var t=[];return t.toString=function(){return this.map(function(t){var r="",a=void 0!==t[5];return t[4]&&(r+="@supports (".concat(t[4],") {")),t[2]&&(r+="@media ".concat(t[2]," {")),a&&(r+="@layer".concat(t[5].length>0?" ".concat(t[5]):""," {")),r+=e(t),a&&(r+="}"),t[2]&&(r+="}"),t[4]&&(r+="}"),r}).join("")},t.i=function(e,r,a,n,o){"string"==typeof e&&(e=[[null,e,void 0]]);var i={};if(a)for(var s=0;s<this.length;s++){var c=this[s][0];null!=c&&(i[c]=!0)}for(var d=0;d<e.length;d++){var l=[].concat(e[d]);a&&i[l[0]]||(void 0!==o&&(void 0===l[5]||(l[1]="@layer".concat(l[5].length>0?" ".concat(l[5]):""," {").concat(l[1],"}")),l[5]=o),r&&(l[2]&&(l[1]="@media ".concat(l[2]," {").concat(l[1],"}")),l[2]=r),n&&(l[4]?(l[1]="@supports (".concat(l[4],") {").concat(l[1],"}"),l[4]=n):l[4]="".concat(n)),t.push(l))}},t}},601(e){e.exports=function(e){return e[1]}},72(e){var t=[];function r(e){for(var r=-1,a=0;a<t.length;a++)if(t[a].identifier===e){r=a;break}return r}function a(e,a){for(var n={},o=[],i=0;i<e.length;i++){var s=e[i],c=a.base?s[0]+a.base:s[0],d=n[c]||0,l="".concat(c," ").concat(d);n[c]=d+1;var u=r(l),p={css:s[1],media:s[2],sourceMap:s[3],supports:s[4],layer:s[5]};if(-1!==u)t[u].references++,t[u].updater(p);else{var f=function(e,t){var r=t.domAPI(t);return r.update(e),function(t){t?(t.css!==e.css||t.media!==e.media||t.sourceMap!==e.sourceMap||t.supports!==e.supports||t.layer!==e.layer)&&r.update(e=t):r.remove()}}(p,a);a.byIndex=i,t.splice(i,0,{identifier:l,updater:f,references:1})}o.push(l)}return o}e.exports=function(e,n){var o=a(e=e||[],n=n||{});return function(e){e=e||[];for(var i=0;i<o.length;i++){var s=r(o[i]);t[s].references--}for(var c=a(e,n),d=0;d<o.length;d++){var l=r(o[d]);0===t[l].references&&(t[l].updater(),t.splice(l,1))}o=c}}},659(e){var t={};e.exports=function(e,r){var a=function(e){if(void 0===t[e]){var r=document.querySelector(e);if(window.HTMLIFrameElement&&r instanceof window.HTMLIFrameElement)try{r=r.contentDocument.head}catch(e){r=null}t[e]=r}return t[e]}(e);if(!a)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");a.appendChild(r)}},540(e){e.exports=function(e){var t=document.createElement("style");return e.setAttributes(t,e.attributes),e.insert(t,e.options),t}},56(e,t,r){e.exports=function(e){var t=r.nc;t&&e.setAttribute("nonce",t)}},825(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var t=e.insertStyleElement(e);return{update:function(r){var a,n,o;a="",r.supports&&(a+="@supports (".concat(r.supports,") {")),r.media&&(a+="@media ".concat(r.media," {")),(n=void 0!==r.layer)&&(a+="@layer".concat(r.layer.length>0?" ".concat(r.layer):""," {")),a+=r.css,n&&(a+="}"),r.media&&(a+="}"),r.supports&&(a+="}"),(o=r.sourceMap)&&"u">typeof btoa&&(a+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(o))))," */")),e.styleTagTransform(a,t,e.options)},remove:function(){var e;null===(e=t).parentNode||e.parentNode.removeChild(e)}}}},113(e){e.exports=function(e,t){if(t.styleSheet)t.styleSheet.cssText=e;else{for(;t.firstChild;)t.removeChild(t.firstChild);t.appendChild(document.createTextNode(e))}}},959(e,t,r){var a=r(72),n=r.n(a),o=r(825),i=r.n(o),s=r(659),c=r.n(s),d=r(56),l=r.n(d),u=r(540),p=r.n(u),f=r(113),b=r.n(f),v=r(646),m={};m.styleTagTransform=b(),m.setAttributes=l(),m.insert=c().bind(null,"head"),m.domAPI=i(),m.insertStyleElement=p(),n()(v.A,m),v.A&&v.A.locals&&v.A.locals}}]);