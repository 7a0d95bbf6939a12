use sqlx::PgExecutor;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub user_id: i64,
    pub email: String,
    pub password_hash: String,
    pub default_role: Option<String>,
    pub first_name: String,
    pub last_name: String,
}

/// Inserts a user; `None` when the e-mail is taken.
pub async fn insert(
    db: impl PgExecutor<'_>,
    email: &str,
    password_hash: &str,
    default_role: Option<&str>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "insert into users (email, password_hash, default_role) values ($1, $2, $3)
         on conflict do nothing returning user_id",
        email,
        password_hash,
        default_role
    )
    .fetch_optional(db)
    .await
}

pub async fn find_by_email(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        "select user_id, email, password_hash, default_role, first_name, last_name from users where lower(email) = lower($1)",
        email
    )
    .fetch_optional(db)
    .await
}

/// Adds or replaces a user's role in a company.
pub async fn upsert_membership(
    db: impl PgExecutor<'_>,
    company_id: i64,
    user_id: i64,
    role: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into memberships (company_id, user_id, role) values ($1, $2, $3)
         on conflict (company_id, user_id) do update set role = excluded.role, is_active = true",
        company_id,
        user_id,
        role
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The user's role in a company, if the membership is active.
pub async fn active_role(
    db: impl PgExecutor<'_>,
    company_id: i64,
    user_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "select role from memberships where company_id = $1 and user_id = $2 and is_active",
        company_id,
        user_id
    )
    .fetch_optional(db)
    .await
}

pub async fn find_by_id(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        "select user_id, email, password_hash, default_role, first_name, last_name from users where user_id = $1",
        user_id
    )
    .fetch_optional(db)
    .await
}

/// Sets a user's first and last name; false when no user has the e-mail.
pub async fn set_name(db: impl PgExecutor<'_>, email: &str, first: &str, last: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update users set first_name = $2, last_name = $3 where lower(email) = lower($1)",
        email,
        first,
        last
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A user's membership of one company, with the company.
#[derive(Debug, Clone)]
pub struct MembershipRow {
    pub company_id: i64,
    pub company_name: String,
    pub root_path: String,
    pub role: String,
    pub is_active: bool,
}

/// Every membership of a user, active or not, by company id.
pub async fn memberships(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<Vec<MembershipRow>> {
    sqlx::query_as!(
        MembershipRow,
        "select c.company_id, c.name as company_name, c.root_path, m.role, m.is_active
         from memberships m join companies c using (company_id)
         where m.user_id = $1 order by c.company_id",
        user_id
    )
    .fetch_all(db)
    .await
}
