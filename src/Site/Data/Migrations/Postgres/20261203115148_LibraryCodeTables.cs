using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdentityTwoFactor.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LibraryCodeTables : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "SentUtc",
                table: "UserCodes");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "SentUtc",
                table: "UserCodes",
                type: "timestamp with time zone",
                nullable: true);
        }
    }
}
