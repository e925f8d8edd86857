import type { ErrorBody, ErrorCode } from '@hackmeshi/shared';
import { createStore, useStore } from './store.js';

/** Languages the UI speaks. Japanese comes first: it is the primary audience. */
export const LANGS = ['ja', 'en'] as const;
export type Lang = (typeof LANGS)[number];

/** What each language is called in its own language, for the switcher. */
export const LANG_NAMES: Record<Lang, string> = { ja: '日本語', en: 'English' };

/**
 * English messages. This object defines the set of keys; `satisfies` also demands a message for
 * every server error code, so adding a code to `shared/` fails the client build until it is
 * translated. `{name}` is a placeholder filled by `t(key, { name })`.
 */
const en = {
  'app.name': 'hackmeshi',
  'app.tagline': 'Casual connections between engineers',
  'conn.label': 'Connection',
  'conn.connected': 'Connected',
  'conn.connecting': 'Connecting…',
  'conn.reconnecting': 'Reconnecting…',
  'conn.offline': 'Offline',
  'lang.label': 'Language',
  'banner.protocolMismatch': 'A new version of hackmeshi is available. Please reload the page.',
  'banner.reload': 'Reload',
  'nav.signOut': 'Sign out',
  'notice.dismiss': 'Dismiss',
  'session.loading': 'Loading…',
  'session.unreachable': 'Cannot reach the server.',
  'session.retry': 'Retry',
  'session.ended.signed_out': 'You were signed out.',
  'session.ended.expired': 'Your session expired. Please sign in again.',
  'session.ended.revoked': 'Your session was ended. Please sign in again.',
  'signUp.title': 'Create your account',
  'signUp.lead': 'Meet engineers over the topics (and food) you love.',
  'signUp.submit': 'Sign up',
  'signUp.submitting': 'Signing up…',
  'signUp.haveAccount': 'Already have an account?',
  'signUp.gotoSignIn': 'Sign in',
  'signIn.title': 'Sign in',
  'signIn.lead': 'Welcome back.',
  'signIn.submit': 'Sign in',
  'signIn.submitting': 'Signing in…',
  'signIn.noAccount': 'New here?',
  'signIn.gotoSignUp': 'Create an account',
  'field.handle': 'Handle',
  'field.handle.hint': '3–20 characters: a–z, 0–9 or _',
  'field.displayName': 'Display name',
  'field.displayName.hint': '1–40 characters',
  'field.password': 'Password',
  'field.password.hint': 'At least {min} characters',
  'field.password.required': 'Enter your password',
  'field.bio': 'Bio',
  'field.bio.hint': 'Up to {max} characters',
  'field.tags': 'Interest tags',
  'field.tags.hint': 'Up to 10, separated by commas, e.g. rust, typescript, ramen',
  'field.tags.invalid': 'Each tag is 1–32 letters, digits or + # . _ - (at most 10 tags)',
  'field.avatarColor': 'Avatar colour',
  'field.avatarColor.option': 'Colour {n}',
  'form.fixErrors': 'Please check the highlighted fields.',
  'profile.edit': 'Edit profile',
  'profile.noBio': 'No bio yet.',
  'profile.tags': 'Interests',
  'profile.noTags': 'No tags yet.',
  'profile.joined': 'Joined {date}',
  'role.member': 'Member',
  'role.moderator': 'Moderator',
  'role.admin': 'Admin',
  'profileEdit.title': 'Edit profile',
  'profileEdit.save': 'Save',
  'profileEdit.saving': 'Saving…',
  'profileEdit.cancel': 'Cancel',
  'profileEdit.saved': 'Profile saved.',
  'profileEdit.removeTag': 'Remove {tag}',
  'profileEdit.preview': 'Preview',
  'notFound.title': 'Page not found',
  'notFound.back': 'Back to your profile',
  'error.INVALID_PAYLOAD': 'Some fields are not valid.',
  'error.PAYLOAD_TOO_LARGE': 'That is too much data to send at once.',
  'error.UNAUTHENTICATED': 'Please sign in.',
  'error.FORBIDDEN': 'You are not allowed to do that.',
  'error.INVALID_CREDENTIALS': 'Wrong handle or password.',
  'error.NOT_FOUND': 'Not found.',
  'error.HANDLE_TAKEN': 'That handle is already taken.',
  'error.CONFLICT': 'That clashes with a recent change. Reload and try again.',
  'error.RATE_LIMITED': 'Too many attempts. Try again in {seconds} s.',
  'error.ORIGIN_NOT_ALLOWED': 'This address is not allowed to connect to the server.',
  'error.PROTOCOL_MISMATCH': 'A new version is available. Please reload the page.',
  'error.UNAVAILABLE': 'The server cannot be reached right now. Try again shortly.',
  'error.INTERNAL': 'Something went wrong on our side. Please try again.',
} as const satisfies Record<`error.${ErrorCode}`, string> & Record<string, string>;

/** Every message key. Both dictionaries must define exactly these. */
export type MessageKey = keyof typeof en;
type Dictionary = Record<MessageKey, string>;

/** Japanese messages: the compiler rejects a missing or an extra key. */
const ja: Dictionary = {
  'app.name': 'hackmeshi',
  'app.tagline': 'エンジニア同士のゆるいつながり',
  'conn.label': '接続状態',
  'conn.connected': 'オンライン',
  'conn.connecting': '接続中…',
  'conn.reconnecting': '再接続中…',
  'conn.offline': 'オフライン',
  'lang.label': '言語',
  'banner.protocolMismatch': 'hackmeshi の新しいバージョンがあります。ページを再読み込みしてください。',
  'banner.reload': '再読み込み',
  'nav.signOut': 'ログアウト',
  'notice.dismiss': '閉じる',
  'session.loading': '読み込み中…',
  'session.unreachable': 'サーバーに接続できません。',
  'session.retry': '再試行',
  'session.ended.signed_out': 'ログアウトしました。',
  'session.ended.expired': 'セッションの有効期限が切れました。もう一度ログインしてください。',
  'session.ended.revoked': 'セッションが終了されました。もう一度ログインしてください。',
  'signUp.title': 'アカウント登録',
  'signUp.lead': '好きな話題(とごはん)で、エンジニアとつながろう。',
  'signUp.submit': '登録する',
  'signUp.submitting': '登録中…',
  'signUp.haveAccount': 'アカウントをお持ちの方は',
  'signUp.gotoSignIn': 'ログイン',
  'signIn.title': 'ログイン',
  'signIn.lead': 'おかえりなさい。',
  'signIn.submit': 'ログイン',
  'signIn.submitting': 'ログイン中…',
  'signIn.noAccount': 'はじめての方は',
  'signIn.gotoSignUp': 'アカウント登録',
  'field.handle': 'ユーザー名',
  'field.handle.hint': '半角英小文字・数字・_ で3〜20文字',
  'field.displayName': '表示名',
  'field.displayName.hint': '1〜40文字',
  'field.password': 'パスワード',
  'field.password.hint': '{min}文字以上',
  'field.password.required': 'パスワードを入力してください',
  'field.bio': '自己紹介',
  'field.bio.hint': '{max}文字以内',
  'field.tags': '興味タグ',
  'field.tags.hint': 'カンマ区切りで最大10個(例: rust, typescript, ラーメン)',
  'field.tags.invalid': 'タグは1〜32文字の文字・数字・+ # . _ - で、最大10個までです',
  'field.avatarColor': 'アイコンの色',
  'field.avatarColor.option': '色 {n}',
  'form.fixErrors': '入力内容を確認してください。',
  'profile.edit': 'プロフィールを編集',
  'profile.noBio': '自己紹介はまだありません。',
  'profile.tags': '興味',
  'profile.noTags': 'タグはまだありません。',
  'profile.joined': '{date}に参加',
  'role.member': 'メンバー',
  'role.moderator': 'モデレーター',
  'role.admin': '管理者',
  'profileEdit.title': 'プロフィール編集',
  'profileEdit.save': '保存',
  'profileEdit.saving': '保存中…',
  'profileEdit.cancel': 'キャンセル',
  'profileEdit.saved': 'プロフィールを保存しました。',
  'profileEdit.removeTag': '{tag} を削除',
  'profileEdit.preview': 'プレビュー',
  'notFound.title': 'ページが見つかりません',
  'notFound.back': 'プロフィールに戻る',
  'error.INVALID_PAYLOAD': '入力内容に誤りがあります。',
  'error.PAYLOAD_TOO_LARGE': '一度に送信できるデータ量を超えています。',
  'error.UNAUTHENTICATED': 'ログインしてください。',
  'error.FORBIDDEN': 'この操作は許可されていません。',
  'error.INVALID_CREDENTIALS': 'ユーザー名またはパスワードが違います。',
  'error.NOT_FOUND': '見つかりません。',
  'error.HANDLE_TAKEN': 'このユーザー名はすでに使われています。',
  'error.CONFLICT': '他の変更と競合しました。再読み込みしてからやり直してください。',
  'error.RATE_LIMITED': '試行回数が多すぎます。{seconds}秒後にもう一度お試しください。',
  'error.ORIGIN_NOT_ALLOWED': 'このアドレスからはサーバーに接続できません。',
  'error.PROTOCOL_MISMATCH': '新しいバージョンがあります。ページを再読み込みしてください。',
  'error.UNAVAILABLE': 'サーバーに接続できません。しばらくしてからもう一度お試しください。',
  'error.INTERNAL': 'サーバーでエラーが発生しました。もう一度お試しください。',
};

const dictionaries: Record<Lang, Dictionary> = { ja, en };

/** localStorage key of the chosen language. */
const STORAGE_KEY = 'hackmeshi.lang';

const isLang = (value: unknown): value is Lang => LANGS.includes(value as Lang);

/** The saved choice if any; otherwise Japanese for a `ja*` browser, English for everyone else. */
function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (isLang(saved)) return saved;
  } catch {
    // Storage can be blocked (privacy mode); fall back to the browser language.
  }
  return navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** The current UI language. */
export const language = createStore<Lang>(initialLang());
document.documentElement.lang = language.get();

/** Switches the language, remembers it for next time, and tells assistive tech via `<html lang>`. */
export function setLanguage(next: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not persisted, but the switch still applies to this tab.
  }
  document.documentElement.lang = next;
  language.set(next);
}

/** Parameters substituted into `{name}` placeholders. */
export type MessageParams = Record<string, string | number>;

/** Looks up `key` in `lang` and fills its placeholders. */
export function translate(lang: Lang, key: MessageKey, params?: MessageParams): string {
  const template = dictionaries[lang][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

/** A translator bound to one language. */
export type Translate = (key: MessageKey, params?: MessageParams) => string;

/** The translator for the current language; the component re-renders when it changes. */
export function useT(): Translate {
  const lang = useStore(language);
  return (key, params) => translate(lang, key, params);
}

/** The current language, for Intl formatting. */
export function useLang(): Lang {
  return useStore(language);
}

/** A localized sentence for an error answer, using `details.retryAfterMs` for RATE_LIMITED. */
export function errorMessage(t: Translate, error: ErrorBody): string {
  if (error.code === 'RATE_LIMITED') {
    const details = error.details as { retryAfterMs?: unknown } | undefined;
    const ms = typeof details?.retryAfterMs === 'number' ? details.retryAfterMs : 60_000;
    return t('error.RATE_LIMITED', { seconds: Math.max(1, Math.ceil(ms / 1000)) });
  }
  // An unknown code (a newer server) still gets a sentence rather than a key.
  const key = `error.${error.code}` as const;
  return key in en ? t(key) : t('error.INTERNAL');
}
