import { z } from 'zod';

/** Minimum password length, enforced on sign-up. */
export const PASSWORD_MIN_LENGTH = 10;
/** Upper bound so hashing cost stays bounded. */
export const PASSWORD_MAX_LENGTH = 200;

/** A text field that is trimmed and must not be blank afterwards. */
export const nonBlank = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

/**
 * Public handle, like `@alice`. Stored lowercase; 3–20 of a–z, 0–9 and `_`.
 * Case-insensitive on input so `Alice` and `alice` cannot both exist.
 */
export const Handle = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_]{3,20}$/, '3–20 characters: a–z, 0–9 or _');

/** A password as typed. Only the length is checked; anything printable is allowed. */
export const Password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `at most ${PASSWORD_MAX_LENGTH} characters`);

/**
 * An interest tag such as `rust`, `c++`, `node.js` or `機械学習`. Lowercased; letters and digits
 * of any script, plus `+ # . _ -`, at most 32 characters.
 */
export const Tag = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}+#._-]{0,31}$/u, 'a tag is 1–32 letters, digits or + # . _ -');

/** Up to 10 distinct interest tags on a profile (duplicates are dropped, order kept). */
export const ProfileTags = z
  .array(Tag)
  .max(10, 'at most 10 tags')
  .transform((tags) => [...new Set(tags)]);

/** Avatar background colours a user may pick; the avatar shows their initials on it. */
export const AVATAR_COLORS = [
  '#e4572e',
  '#f3a712',
  '#29a19c',
  '#3f88c5',
  '#6c5b7b',
  '#2e294e',
  '#44af69',
  '#d7263d',
] as const;
export const AvatarColor = z.enum(AVATAR_COLORS);

/** Account roles. Moderators and admins see the moderation queue; admins manage roles. */
export const Role = z.enum(['member', 'moderator', 'admin']);
export type Role = z.infer<typeof Role>;

/** POST /api/auth/signup */
export const SignUpBody = z
  .object({ handle: Handle, displayName: nonBlank(40), password: Password })
  .strict();
export type SignUpBody = z.input<typeof SignUpBody>;

/** POST /api/auth/signin. The password is not length-checked here, so no hint leaks. */
export const SignInBody = z
  .object({ handle: Handle, password: z.string().min(1).max(PASSWORD_MAX_LENGTH) })
  .strict();
export type SignInBody = z.input<typeof SignInBody>;

/** PATCH /api/me: every field optional; only those present change. */
export const UpdateProfileBody = z
  .object({
    displayName: nonBlank(40),
    bio: z.string().trim().max(300, 'at most 300 characters'),
    tags: ProfileTags,
    avatarColor: AvatarColor,
  })
  .partial()
  .strict();
export type UpdateProfileBody = z.input<typeof UpdateProfileBody>;

/** What anyone signed in may see of a user. */
export const PublicProfile = z.object({
  id: z.uuid(),
  handle: z.string(),
  displayName: z.string(),
  bio: z.string(),
  tags: z.array(z.string()),
  avatarColor: AvatarColor,
  role: Role,
  createdAt: z.iso.datetime(),
  /** Meetups the organizer checked this user in at (attended history, as a count). */
  attendedCount: z.number().int().nonnegative(),
});
export type PublicProfile = z.infer<typeof PublicProfile>;

/** The signed-in user's own view of themselves (GET /api/me, sign-up and sign-in answers). */
export const Me = PublicProfile;
export type Me = z.infer<typeof Me>;

/** Path parameters of GET /api/users/:handle. */
export const UserParams = z.object({ handle: Handle }).strict();
